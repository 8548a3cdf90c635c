import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pinnedAgent } from '../../src/shared/pinnedHttps.js';

/** Starts a GET; an https URL is verified against `pin` (burrow's self-signed certificate). */
function get(url: string, pin?: string, cookie?: string): Promise<IncomingMessage> {
  const headers = cookie ? { cookie } : {};
  return new Promise((resolve, reject) => {
    const req = url.startsWith('https:')
      ? https.get(url, { agent: pinnedAgent(pin ?? 'sha256/none'), headers }, resolve)
      : http.get(url, { agent: false, headers }, resolve);
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
export async function getBody(url: string, pin?: string, cookie?: string): Promise<Fetched> {
  const res = await get(url, pin, cookie);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

/** GETs `url` and hashes the body as it streams, holding no copy of it. */
export async function hashOfUrl(url: string, pin?: string, cookie?: string): Promise<{ status: number; bytes: number; sha256: string }> {
  const res = await get(url, pin, cookie);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of res) {
    bytes += (c as Buffer).length;
    hash.update(c as Buffer);
  }
  return { status: res.statusCode ?? 0, bytes, sha256: hash.digest('hex') };
}

/**
 * Does what a browser does with a session URL: presents its one-time token once and keeps
 * the cookie the port sets. Returns the session origin and that cookie.
 */
export async function enterSession(sessionUrl: string, pin: string): Promise<{ origin: string; cookie: string }> {
  const res = await get(sessionUrl, pin);
  res.resume();
  const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  if (res.statusCode !== 303 || !cookie) throw new Error(`session entry answered ${res.statusCode ?? 0} without a cookie`);
  return { origin: new URL(sessionUrl).origin, cookie };
}
