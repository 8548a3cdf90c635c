import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pinnedAgent } from '../../src/shared/pinnedHttps.js';

/** Starts a GET; an https URL is verified against `pin` (burrow's self-signed certificate). */
function get(url: string, pin?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = url.startsWith('https:')
      ? https.get(url, { agent: pinnedAgent(pin ?? 'sha256/none') }, resolve)
      : http.get(url, { agent: false }, resolve);
    req.setTimeout(60_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.once('error', reject);
  });
}

/** A whole (small) response. */
export interface Fetched {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** GETs `url` and buffers the body; for small answers only. */
export async function getBody(url: string, pin?: string): Promise<Fetched> {
  const res = await get(url, pin);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

/** GETs `url` and hashes the body as it streams, holding no copy of it. */
export async function hashOfUrl(url: string, pin?: string): Promise<{ status: number; bytes: number; sha256: string }> {
  const res = await get(url, pin);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of res) {
    bytes += (c as Buffer).length;
    hash.update(c as Buffer);
  }
  return { status: res.statusCode ?? 0, bytes, sha256: hash.digest('hex') };
}
