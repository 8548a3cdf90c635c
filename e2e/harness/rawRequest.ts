import https from 'node:https';
import { pinnedAgent } from '../../src/shared/pinnedHttps.js';

/** One request exactly as given, for checking what the server answers to bad input. */
export interface RawRequest {
  method: string;
  url: string;
  pin: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The answer: status, content type and the body as text. */
export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Sends a request over TLS pinned to `pin` and returns the raw answer (no error mapping). */
export function rawRequest(r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(r.url, { method: r.method, headers: r.headers ?? {}, agent: pinnedAgent(r.pin), timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${r.method} ${r.url} timed out`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Parses an API error body, failing unless it has the `{"error":{"code","message"}}` shape. */
export function errorOf(res: RawResponse): { code: string; message: string } {
  const body = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } };
  const e = body.error;
  if (typeof e?.code !== 'string' || typeof e.message !== 'string') throw new Error(`not an API error body: ${res.text}`);
  return { code: e.code, message: e.message };
}
