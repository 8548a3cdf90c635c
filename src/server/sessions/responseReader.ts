import { BodyTracker, responseBody } from './bodyFraming.js';
import { HeadCollector, HttpMessageError, MAX_RESPONSE_HEAD_BYTES, headerTokens, parseResponseHead, type ResponseHead } from './httpHead.js';

/** Where the answer to the current request stands. */
export type ResponsePhase = 'idle' | 'head' | 'body' | 'tunnel';

/** What one chunk from the WebUI amounted to. */
export type ReadOutcome =
  | 'more' // the answer goes on
  | 'ended' // the answer is complete
  | 'stray' // the answer is complete, and bytes nobody asked for followed it
  | 'tunnel'; // a 101: from here on the bytes are another protocol's

/**
 * Follows a WebUI's answers to one request at a time: finds each head (passing it on
 * rewritten), interim 1xx answers, and where the body ends, without changing a body byte.
 */
export class ResponseReader {
  phase: ResponsePhase = 'idle';
  /** Whether any byte of the current answer went to the browser. */
  started = false;
  /** The WebUI said it closes after this answer (Connection: close, or HTTP/1.0). */
  closeAfter = false;
  private head = new HeadCollector(MAX_RESPONSE_HEAD_BYTES);
  private body = new BodyTracker({ kind: 'none' });
  private method = 'GET';
  private upgradeAsked = false;

  constructor(private readonly rewrite: (head: ResponseHead) => Buffer) {}

  /** A request went to the WebUI; its answer comes next. */
  expect(method: string, upgradeAsked: boolean): void {
    this.method = method;
    this.upgradeAsked = upgradeAsked;
    this.phase = 'head';
    this.started = false;
    this.head = new HeadCollector(MAX_RESPONSE_HEAD_BYTES);
    this.body = new BodyTracker({ kind: 'none' });
  }

  /** Whether the body in progress runs until the connection closes. */
  get closeDelimited(): boolean {
    return this.phase === 'body' && this.body.closeDelimited;
  }

  /** Reads a chunk, handing what the browser gets to `out`. Throws HttpMessageError on a malformed answer. */
  read(chunk: Buffer, out: (bytes: Buffer) => void): ReadOutcome {
    let rest = chunk;
    while (rest.length > 0) {
      if (this.phase === 'tunnel') {
        out(rest);
        return 'tunnel';
      }
      if (this.phase === 'idle') return 'stray';
      if (this.phase === 'head') {
        const got = this.head.push(rest);
        if (!got) return 'more';
        rest = got.rest;
        out(this.onHead(parseResponseHead(got.head)));
      } else {
        const n = this.body.take(rest);
        out(rest.subarray(0, n));
        rest = rest.subarray(n);
      }
      if (this.phase === 'body' && this.body.done) {
        this.phase = 'idle';
        return rest.length > 0 ? 'stray' : 'ended';
      }
    }
    return this.phase === 'tunnel' ? 'tunnel' : 'more';
  }

  private onHead(head: ResponseHead): Buffer {
    if (head.status === 101 && !this.upgradeAsked) throw new HttpMessageError(400, 'Switching protocols without being asked.');
    this.started = true;
    const connection = headerTokens(head.headers, 'connection');
    this.closeAfter = connection.includes('close') || (head.version === '1.0' && !connection.includes('keep-alive'));
    if (head.status === 101) {
      this.phase = 'tunnel';
    } else if (head.status >= 200) {
      this.body = new BodyTracker(responseBody(this.method, head.status, head.headers));
      this.phase = 'body';
    } // else an interim 1xx answer: the final one follows, the phase stays 'head'
    return this.rewrite(head);
  }
}
