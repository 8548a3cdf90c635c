/**
 * The heads of HTTP/1.x messages as a session port relays them: found in a byte stream,
 * parsed strictly (a request the node might read differently from us is refused, so no
 * request can be smuggled past the relay), and written back out.
 */
import { METHODS } from 'node:http';

/** Longest request head accepted from a browser, as Node's own limit. */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
/** Longest response head accepted from a node's WebUI (cookie-heavy UIs send long ones). */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

/** One header line, name as sent. */
export type Header = readonly [name: string, value: string];

export interface RequestHead {
  method: string;
  /** Origin-form path and query, or `*`. */
  target: string;
  version: '1.0' | '1.1';
  headers: Header[];
}

export interface ResponseHead {
  version: '1.0' | '1.1';
  status: number;
  reason: string;
  headers: Header[];
}

/** A message the relay cannot pass on; `status` is what a browser is told for a request. */
export class HttpMessageError extends Error {
  constructor(
    readonly status: 400 | 405 | 431,
    message: string,
  ) {
    super(message);
  }
}

/** The methods llhttp knows: a WebUI served by Node refuses any other, so we refuse it first. */
const KNOWN_METHODS = new Set(METHODS);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, space, tab and obs-text; no other control characters.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Visible ASCII only: llhttp refuses obs-text in a target, and browsers percent-encode it.
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;
const VERSION = /^HTTP\/1\.([01])$/;
const CRLF2 = Buffer.from('\r\n\r\n');
/** Optional whitespace (RFC 9110 section 5.6.3): SP and HTAB only, never `trim()`'s wider set. */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;
/**
 * Field names burrow reads, spelt with `_` for `-`: llhttp takes `Transfer_Encoding` as an
 * unknown field, but backends that map `_` to `-` (CGI, some frameworks) take it as the real one.
 */
const INTERPRETED_FIELDS = new Set(['transfer-encoding', 'content-length', 'host', 'connection', 'upgrade']);

/** Fields whose value llhttp parses itself, refusing a trailing HTAB. */
const TAB_FREE_ENDS = new Set(['content-length', 'transfer-encoding']);

/** `value` without the optional whitespace around it. */
export function trimOws(value: string): string {
  return value.replace(OWS_EDGES, '');
}

/**
 * Collects a head from successive chunks. `push` answers the head's bytes (without the
 * blank line) and the bytes after it once the head is complete, undefined before.
 */
export class HeadCollector {
  private parts: Buffer[] = [];
  private size = 0;

  /** `leadingEmptyLine`: skip the one CRLF RFC 9112 section 2.2 lets a client send before a request line. */
  constructor(
    private readonly limit: number,
    private readonly leadingEmptyLine = false,
  ) {}

  /** Whether any byte of a head has arrived. */
  get started(): boolean {
    return this.size > 0;
  }

  push(chunk: Buffer): { head: Buffer; rest: Buffer } | undefined {
    // Search only where the blank line can be: it may straddle the previous chunk.
    const from = Math.max(0, this.size - 3);
    this.parts.push(chunk);
    this.size += chunk.length;
    const all = this.parts.length === 1 ? chunk : Buffer.concat(this.parts, this.size);
    this.parts = [all];
    const skip = this.leadingEmptyLine && all[0] === 13 && all[1] === 10 ? 2 : 0;
    const end = all.indexOf(CRLF2, Math.max(from, skip));
    const tooLarge = end < 0 ? this.size > this.limit : end + 4 > this.limit;
    if (tooLarge) throw new HttpMessageError(431, 'The head is too large.');
    if (end < 0) return undefined;
    this.parts = [];
    this.size = 0;
    return { head: all.subarray(skip, end), rest: all.subarray(end + 4) };
  }
}

/** Splits head lines; a bare CR or LF or a folded line is refused rather than guessed at. */
function headLines(head: Buffer): string[] {
  const lines = head.toString('latin1').split('\r\n');
  for (const line of lines) {
    if (line.includes('\r') || line.includes('\n')) throw new HttpMessageError(400, 'A line of the head has a bare CR or LF.');
  }
  return lines;
}

/** Parses one field line (`name: value`) of a head or a chunked trailer. */
export function parseFieldLine(line: string): Header {
  if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpMessageError(400, 'Folded header lines are not accepted.');
  const colon = line.indexOf(':');
  const name = line.slice(0, colon);
  if (colon <= 0 || !TOKEN.test(name)) throw new HttpMessageError(400, 'A header line has no valid name.');
  if (name.includes('_') && INTERPRETED_FIELDS.has(name.toLowerCase().replaceAll('_', '-'))) {
    throw new HttpMessageError(400, `Header ${name} could be read as another.`);
  }
  const value = trimOws(line.slice(colon + 1));
  // llhttp refuses HTAB after a length or a coding; a node behind it would refuse what we relay.
  if (/\t[ \t]*$/.test(line) && TAB_FREE_ENDS.has(name.toLowerCase())) throw new HttpMessageError(400, `Header ${name} ends in a tab.`);
  if (!FIELD_VALUE.test(value)) throw new HttpMessageError(400, `Header ${name} has a control character.`);
  return [name, value];
}

function parseHeaders(lines: string[]): Header[] {
  return lines.map(parseFieldLine);
}

/** Parses a request head (without its blank line). */
export function parseRequestHead(head: Buffer): RequestHead {
  const [requestLine = '', ...rest] = headLines(head);
  const parts = requestLine.split(' ');
  if (parts.length !== 3) throw new HttpMessageError(400, 'The request line is malformed.');
  const [method, target, version] = parts as [string, string, string];
  const v = VERSION.exec(version);
  if (!TOKEN.test(method) || !v) throw new HttpMessageError(400, 'The request line is malformed.');
  if (!KNOWN_METHODS.has(method)) throw new HttpMessageError(400, `The method ${method} is not one burrow relays.`);
  if (method === 'CONNECT') throw new HttpMessageError(405, 'A session port is not a proxy.');
  if (!REQUEST_TARGET.test(target) && !(target === '*' && method === 'OPTIONS')) {
    throw new HttpMessageError(400, 'The request target must be a path.');
  }
  const headers = parseHeaders(rest);
  const parsed: RequestHead = { method, target, version: v[1] === '0' ? '1.0' : '1.1', headers };
  if (parsed.version === '1.1' && headerValues(headers, 'host').length !== 1) throw new HttpMessageError(400, 'An HTTP/1.1 request needs one Host header.');
  return parsed;
}

/** Parses a response head (without its blank line). */
export function parseResponseHead(head: Buffer): ResponseHead {
  const [statusLine = '', ...rest] = headLines(head);
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new HttpMessageError(400, 'The status line is malformed.');
  return { version: m[1] === '0' ? '1.0' : '1.1', status: Number(m[2]), reason: m[3] ?? '', headers: parseHeaders(rest) };
}

/** Every value of header `name` (lower case), in order. */
export function headerValues(headers: readonly Header[], name: string): string[] {
  const out: string[] = [];
  for (const [k, v] of headers) if (k.length === name.length && k.toLowerCase() === name) out.push(v);
  return out;
}

/** The Cookie header as one string (HTTP/1.1 browsers send one; others may split it). */
export function cookieHeader(headers: readonly Header[]): string | undefined {
  const values = headerValues(headers, 'cookie');
  return values.length ? values.join('; ') : undefined;
}

/** The comma-separated tokens of every `name` header, lower-cased. */
export function headerTokens(headers: readonly Header[], name: string): string[] {
  const tokens: string[] = [];
  for (const value of headerValues(headers, name)) {
    for (const part of value.split(',')) {
      const t = trimOws(part).toLowerCase();
      if (t.length > 0) tokens.push(t);
    }
  }
  return tokens;
}

/** Serializes a head with its blank line. */
export function writeHead(firstLine: string, headers: readonly Header[]): Buffer {
  let text = `${firstLine}\r\n`;
  for (const [k, v] of headers) text += `${k}: ${v}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}
