import { STATUS_CODES } from 'node:http';

/** A response a session port writes itself (refusals, token exchange, errors). */
export interface OwnAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Serializes an answer of the port's own, with its length and, if asked, `Connection: close`. */
export function ownAnswer(a: OwnAnswer, close: boolean): Buffer {
  const headers = { ...a.headers, 'content-length': String(Buffer.byteLength(a.body, 'latin1')), ...(close ? { connection: 'close' } : {}) };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return Buffer.from(`HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? ''}\r\n${lines}\r\n${a.body}`, 'latin1');
}

/** A plain-text error answer. */
export function errorAnswer(status: number, message: string): OwnAnswer {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` };
}

const BAD_GATEWAY_PAGE = '<!doctype html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1><p>The node did not answer.</p>\n';

/** What the browser sees when the node's WebUI cannot be reached or answers garbage. */
export const BAD_GATEWAY: OwnAnswer = { status: 502, headers: { 'content-type': 'text/html; charset=utf-8' }, body: BAD_GATEWAY_PAGE };
