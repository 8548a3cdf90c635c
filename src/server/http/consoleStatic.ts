import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import type { Middleware } from 'koa';

/**
 * The console's Content-Security-Policy: only our own scripts, styles and connections, no
 * inline code, no framing. `data:` images carry the TOTP QR code.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

interface Asset {
  body: Buffer;
  type: string;
  /** Names with a content hash never change, so browsers may keep them. */
  immutable: boolean;
}

async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return assets;
  }
  for (const file of names) {
    const type = TYPES[extname(file)];
    if (!type) continue;
    const urlPath = '/' + relative(dir, file).split(sep).join('/');
    assets.set(urlPath, { body: await readFile(file), type, immutable: /-[A-Z0-9]{8,}\.\w+$/.test(file) });
  }
  return assets;
}

/** Whether a path belongs to the API rather than the console. */
const isApiPath = (path: string) => path.startsWith('/v1/') || path === '/v1' || path === '/healthz' || path === '/readyz';

/**
 * Serves the built console from `dir`: known files as they are, any other non-API GET as
 * index.html (the console routes by URL hash, but deep links must still load it). Files are
 * read once into memory, so no request path ever reaches the file system.
 */
export function consoleStatic(dir: string | undefined): Middleware {
  let assets: Promise<Map<string, Asset>> | undefined;
  return async (ctx, next) => {
    if (!dir || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || isApiPath(ctx.path)) return next();
    assets ??= loadAssets(dir);
    const all = await assets;
    const asset = all.get(ctx.path) ?? (extname(ctx.path) === '' ? all.get('/index.html') : undefined);
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.body = asset.body;
  };
}
