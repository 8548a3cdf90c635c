import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatByteSize } from '../shared/byteSize.js';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { client, withCommon, type HomeOpt } from './adminShared.js';

/** The file name the server proposed (Content-Disposition), reduced to a safe base name. */
function proposedName(res: IncomingMessage, fallback: string): string {
  const header = res.headers['content-disposition'] ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  const plain = /filename="([^"]+)"/i.exec(header)?.[1];
  let name: string;
  try {
    name = star ? decodeURIComponent(star) : (plain ?? fallback);
  } catch {
    name = plain ?? fallback;
  }
  // Whatever a node called its file, it lands in the current directory and nowhere else, and
  // its name carries no control or direction-changing character to the terminal that prints it.
  const safe = basename(name)
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '_')
    .replace(/^\.+/, '');
  return safe === '' ? fallback : safe;
}

/**
 * Writes a download to `to` (or the proposed name in the current directory; `-` for
 * stdout), through a temp file renamed at the end, so a broken transfer leaves no file
 * that looks complete. Returns where it went, its size and its SHA-256.
 */
async function save(res: IncomingMessage, to: string | undefined, fallback: string): Promise<{ file: string; bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const expected = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
  const check = () => {
    if (!res.complete || (expected !== undefined && bytes !== expected)) throw new BurrowError('SERVER_UNREACHABLE', `The transfer broke off after ${bytes} bytes; nothing was saved.`);
  };
  if (to === '-') {
    await pipeline(res, count, process.stdout);
    check();
    return { file: '-', bytes, sha256: hash.digest('hex') };
  }
  const file = to ?? proposedName(res, fallback);
  const part = `${file}.part`;
  try {
    await pipeline(res, count, createWriteStream(part, { mode: 0o600, flags: 'wx' }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BurrowError('CONFLICT', `${part} exists (another download?); remove it and try again.`);
    await rm(part, { force: true });
    throw new BurrowError('SERVER_UNREACHABLE', `The transfer broke off: ${(err as Error).message}; nothing was saved.`);
  }
  try {
    check();
    // --to names a file to replace; a name the node proposed never replaces one (link fails when it exists).
    if (to === undefined) await link(part, file);
    else await rename(part, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BurrowError('CONFLICT', `${file} exists in the current directory; remove it or choose another name with --to.`);
    throw err instanceof BurrowError ? err : new BurrowError('SERVER_UNREACHABLE', `Could not save ${file}: ${(err as Error).message}; nothing was saved.`);
  } finally {
    await rm(part, { force: true });
  }
  return { file, bytes, sha256: hash.digest('hex') };
}

function report(o: HomeOpt, what: string, r: { file: string; bytes: number; sha256: string }): void {
  if (o.json) printJson(r);
  // With the bytes on stdout, the summary goes to stderr.
  else (r.file === '-' ? process.stderr : process.stdout).write(`${what} ${r.file === '-' ? 'written to stdout' : `saved as ${r.file}`}: ${formatByteSize(r.bytes)}, sha256 ${r.sha256}.\n`);
}

/** `burrow admin file get NODE:/path`: a file from a node, streamed and hashed. */
export function registerAdminFileCommands(admin: Command): void {
  const file = admin.command('file').description('pull files from nodes whose operators allowed it ("burrow node files allow DIR" on the node)');
  withCommon(
    file
      .command('get <node:path>')
      .description('download a file from a node, e.g. gw-17:/var/log/syslog; the audit log records its size and SHA-256')
      .option('--to <file>', 'where to save it (default: its name, in the current directory; - for stdout)'),
  ).action(async (ref: string, o: HomeOpt & { to?: string }) => {
    const colon = ref.indexOf(':');
    if (colon <= 0 || ref[colon + 1] !== '/') throw new BurrowError('VALIDATION', `Name the file as NODE:/absolute/path, e.g. gw-17:/var/log/syslog, not "${ref}".`);
    const node = ref.slice(0, colon);
    const path = ref.slice(colon + 1);
    const res = await (await client(o)).download(`/v1/nodes/${encodeURIComponent(node)}/files?path=${encodeURIComponent(path)}`);
    report(o, `${ref}`, await save(res, o.to, basename(path) || 'download'));
  });
}

/** `burrow admin node bundle NODE`: a support bundle (status, system facts, logs) as one tar.gz. */
export function registerAdminBundleCommand(node: Command): void {
  withCommon(
    node
      .command('bundle <node>')
      .description("download a node's support bundle: its status, system facts and the log files its operator listed, as one tar.gz")
      .option('--to <file>', 'where to save it (default: NODE-bundle-TIME.tar.gz in the current directory; - for stdout)'),
  ).action(async (ref: string, o: HomeOpt & { to?: string }) => {
    const res = await (await client(o)).download(`/v1/nodes/${encodeURIComponent(ref)}/bundle`);
    report(o, `The support bundle of ${ref}`, await save(res, o.to, `${ref}-bundle.tar.gz`));
  });
}
