import { HttpMessageError, headerTokens, headerValues, parseFieldLine, type Header, type RequestHead } from './httpHead.js';

/** How a message's body is delimited (RFC 9112 section 6). */
export type BodyKind = { kind: 'none' } | { kind: 'length'; bytes: number } | { kind: 'chunked' } | { kind: 'close' };

const NONE: BodyKind = { kind: 'none' };
const DECIMAL = /^\d{1,15}$/;

/**
 * A request's body, by the strict reading: Transfer-Encoding together with Content-Length,
 * a coding list not ending in chunked, or more than one length is refused, since a node
 * that read it the other way would see a second, smuggled request.
 */
export function requestBody(head: RequestHead): BodyKind {
  const codings = headerTokens(head.headers, 'transfer-encoding');
  const lengths = headerValues(head.headers, 'content-length');
  // A Transfer-Encoding that lists no coding still counts: llhttp refuses it, others may guess.
  if (headerValues(head.headers, 'transfer-encoding').length > 0) {
    if (head.version === '1.0') throw new HttpMessageError(400, 'HTTP/1.0 requests cannot be chunked.');
    if (lengths.length > 0) throw new HttpMessageError(400, 'A request may not have both Transfer-Encoding and Content-Length.');
    if (codings.length === 0 || codings.indexOf('chunked') !== codings.length - 1) throw new HttpMessageError(400, 'A request body must be chunked last, and once.');
    return { kind: 'chunked' };
  }
  if (lengths.length === 0) return NONE;
  const [length = ''] = lengths;
  if (lengths.length > 1 || !DECIMAL.test(length)) throw new HttpMessageError(400, 'The request has a bad Content-Length.');
  const bytes = Number(length);
  return bytes === 0 ? NONE : { kind: 'length', bytes };
}

/** A response's body, given the method of the request it answers. */
export function responseBody(method: string, status: number, headers: readonly Header[]): BodyKind {
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return NONE;
  const codings = headerTokens(headers, 'transfer-encoding');
  if (codings.length > 0) return codings[codings.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  const lengths = headerTokens(headers, 'content-length');
  if (lengths.length === 0) return { kind: 'close' };
  const [length = ''] = lengths;
  if (!DECIMAL.test(length) || lengths.some((l) => l !== length)) throw new HttpMessageError(400, 'The response has a bad Content-Length.');
  const bytes = Number(length);
  return bytes === 0 ? NONE : { kind: 'length', bytes };
}

const CR = 13;
const LF = 10;
/** Chunk sizes up to 2^48 bytes; longer hex strings are an overflow attempt. */
const MAX_SIZE_DIGITS = 12;
/** Chunk extensions and trailers are tiny in practice; cap them like a head. */
const MAX_LINE_BYTES = 16 * 1024;

type ChunkState = 'size' | 'ext' | 'sizeLf' | 'data' | 'dataCr' | 'dataLf' | 'trailer' | 'trailerLf' | 'done';

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}

/** Chunk extensions (RFC 9112 section 7.1.1), without the whitespace llhttp refuses. */
const CHUNK_EXTENSIONS = /^(?:;[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e]|\\[\t \x21-\x7e])*"))?)*$/;

/** Fields that frame a message: never allowed in a trailer (RFC 9110 section 6.5.1). */
const FRAMING_FIELDS = new Set(['transfer-encoding', 'content-length']);

/** Parses one trailer line as a field, refusing a malformed or framing one. */
function trailerField(line: string): void {
  const [name] = parseFieldLine(line);
  if (FRAMING_FIELDS.has(name.toLowerCase())) throw new HttpMessageError(400, `A trailer may not carry ${name}.`);
}

/**
 * Follows one body through the stream without changing a byte, to know where it ends
 * and the next message begins. Chunked framing is checked as strictly as a head.
 */
export class BodyTracker {
  private remaining: number;
  private state: ChunkState = 'size';
  private digits = 0;
  private lineBytes = 0;
  /** The chunk extensions being read, checked whole at their line's end. */
  private extensions = '';
  /** The trailer line being read: parsed as a field, so no request hides in a trailer. */
  private trailerLine = '';

  constructor(private readonly body: BodyKind) {
    this.remaining = body.kind === 'length' ? body.bytes : 0;
  }

  /** Whether the body has ended (a close-delimited one ends with its connection). */
  get done(): boolean {
    if (this.body.kind === 'none') return true;
    if (this.body.kind === 'length') return this.remaining === 0;
    if (this.body.kind === 'chunked') return this.state === 'done';
    return false;
  }

  /** Whether the body runs until its connection closes. */
  get closeDelimited(): boolean {
    return this.body.kind === 'close';
  }

  /** How many bytes of `chunk`, from `start`, belong to the body. */
  take(chunk: Buffer, start = 0): number {
    const available = chunk.length - start;
    if (this.body.kind === 'close') return available;
    if (this.body.kind !== 'chunked') {
      const n = Math.min(this.remaining, available);
      this.remaining -= n;
      return n;
    }
    let i = start;
    while (i < chunk.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 'dataCr';
        continue;
      }
      this.step(chunk[i] as number);
      i += 1;
    }
    return i - start;
  }

  private step(b: number): void {
    switch (this.state) {
      case 'size': {
        const d = hexValue(b);
        if (d >= 0 && this.digits < MAX_SIZE_DIGITS) {
          this.remaining = this.remaining * 16 + d;
          this.digits += 1;
        } else if (this.digits > 0 && (b === CR || b === 0x3b /* ; */)) {
          this.state = b === CR ? 'sizeLf' : 'ext';
          this.extensions = b === CR ? '' : ';';
        } else {
          throw new HttpMessageError(400, 'A chunk size is malformed.');
        }
        return;
      }
      case 'ext':
        if (b === CR) {
          if (!CHUNK_EXTENSIONS.test(this.extensions)) throw new HttpMessageError(400, 'A chunk extension is malformed.');
          this.state = 'sizeLf';
        } else {
          this.line(b);
          this.extensions += String.fromCharCode(b);
        }
        return;
      case 'sizeLf':
        this.expect(b, LF);
        this.lineBytes = 0;
        this.digits = 0;
        this.state = this.remaining === 0 ? 'trailer' : 'data';
        return;
      case 'dataCr':
        this.expect(b, CR);
        this.state = 'dataLf';
        return;
      case 'dataLf':
        this.expect(b, LF);
        this.state = 'size';
        return;
      case 'trailer':
        if (b === CR) this.state = 'trailerLf';
        else {
          this.line(b);
          this.trailerLine += String.fromCharCode(b);
        }
        return;
      case 'trailerLf':
        this.expect(b, LF);
        if (this.lineBytes > 0) trailerField(this.trailerLine);
        this.state = this.lineBytes === 0 ? 'done' : 'trailer';
        this.lineBytes = 0;
        this.trailerLine = '';
        return;
      default:
        return;
    }
  }

  /** One byte of an extension or trailer line. */
  private line(b: number): void {
    this.lineBytes += 1;
    if (b === LF || (b < 0x20 && b !== 9) || this.lineBytes > MAX_LINE_BYTES) throw new HttpMessageError(400, 'A chunk line is malformed.');
  }

  private expect(b: number, want: number): void {
    if (b !== want) throw new HttpMessageError(400, 'Chunked framing is malformed.');
  }
}
