import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { corkPerTick } from '../../shared/corkPerTick.js';
import type { Logger } from '../../shared/log.js';
import { BodyTracker, requestBody, responseBody } from './bodyFraming.js';
import {
  HeadCollector, HttpMessageError, MAX_REQUEST_HEAD_BYTES, MAX_RESPONSE_HEAD_BYTES, headerTokens, parseRequestHead, parseResponseHead, type RequestHead,
} from './httpHead.js';

/** A response the relay writes itself (refusals, token exchange, errors). */
export interface OwnAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What admission decided about one request. */
export type RequestVerdict = { kind: 'relay'; head: Buffer } | { kind: 'answer'; answer: OwnAnswer; close: boolean };

/** What one relayed browser connection needs from its session port. */
export interface HttpConnectionRelayDeps {
  /** Admits one request and, if it passes, gives the head to send the WebUI. */
  judge: (head: RequestHead) => RequestVerdict;
  /** The response head to send the browser for one from the WebUI. */
  rewriteResponse: (head: ReturnType<typeof parseResponseHead>) => Buffer;
  /** Opens a stream to the WebUI (a tunnel channel, with TLS inside for an https WebUI). */
  openUpstream: () => Promise<Duplex>;
  onActivity: () => void;
  /** Deadline for a request head once it has begun, and for the first one (slowloris). */
  headersTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  keepAliveTimeoutMs: number;
  log: Logger;
}

const BAD_GATEWAY_PAGE = '<!doctype html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1><p>The node did not answer.</p>\n';

/** Serializes an answer of the relay's own. */
export function ownAnswer(a: OwnAnswer, close: boolean): Buffer {
  const headers = { ...a.headers, 'content-length': String(Buffer.byteLength(a.body)), ...(close ? { connection: 'close' } : {}) };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return Buffer.from(`HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? ''}\r\n${lines}\r\n${a.body}`, 'latin1');
}

const errorAnswer = (status: number, message: string): OwnAnswer => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` });

/**
 * Relays one browser connection to the node's WebUI over a channel of its own, kept for
 * the connection's life. Bytes pass unchanged except the heads, which are parsed to admit
 * each request and rewritten both ways; bodies are followed only to find where the next
 * message starts. Requests go one at a time (browsers do not pipeline), which keeps every
 * response paired with its request. A 101 answer turns the connection into a plain pipe.
 */
export class HttpConnectionRelay {
  private upstream: Duplex | null = null;
  private opening = false;
  /** Whether the current upstream has already answered a request (a close before answering is then a keep-alive race). */
  private upstreamReused = false;
  private pendingUp: Buffer[] = [];
  private inBuf: Buffer = Buffer.alloc(0);
  private request: 'head' | 'body' | 'waiting' | 'tunnel' = 'head';
  private response: 'idle' | 'head' | 'body' | 'tunnel' = 'idle';
  private readonly requestHead = new HeadCollector(MAX_REQUEST_HEAD_BYTES);
  private responseHead = new HeadCollector(MAX_RESPONSE_HEAD_BYTES);
  private requestBody = new BodyTracker({ kind: 'none' });
  private responseBody = new BodyTracker({ kind: 'none' });
  private method = 'GET';
  private upgradeAsked = false;
  private responseStarted = false;
  private upBlocked = false;
  /** The WebUI said it closes after this response (Connection: close, or HTTP/1.0). */
  private closeAfterResponse = false;
  private headTimer: NodeJS.Timeout | undefined;
  private served = 0;
  /** A request of this connection passed admission. */
  private admitted = false;
  /** Set once the connection is being closed: later bytes either way are ignored. */
  private done = false;

  constructor(
    private readonly client: tls.TLSSocket,
    private readonly deps: HttpConnectionRelayDeps,
  ) {
    client.on('data', (d: Buffer) => this.fromClient(d));
    client.on('drain', () => this.upstream?.resume());
    client.on('end', () => this.onClientEnd());
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
    this.armHeadTimer(deps.headersTimeoutMs);
  }

  private fromClient(d: Buffer): void {
    if (this.done) return;
    // Only a browser that got in keeps the session from idling out, not a stranger's bytes.
    if (this.admitted) this.deps.onActivity();
    if (this.request === 'tunnel') {
      this.sendUp(d);
      return;
    }
    this.inBuf = this.inBuf.length ? Buffer.concat([this.inBuf, d]) : d;
    this.pump();
  }

  /** Works through buffered client bytes as far as the current request allows. */
  private pump(): void {
    try {
      while (this.inBuf.length > 0 && !this.done) {
        if (this.request === 'head') {
          if (!this.requestHead.started) this.armHeadTimer(this.deps.headersTimeoutMs);
          const got = this.requestHead.push(this.inBuf);
          this.inBuf = got ? got.rest : Buffer.alloc(0);
          if (got) this.onRequestHead(parseRequestHead(got.head));
        } else if (this.request === 'body') {
          const n = this.requestBody.take(this.inBuf);
          if (n > 0) this.sendUp(this.inBuf.subarray(0, n));
          this.inBuf = this.inBuf.subarray(n);
          if (this.requestBody.done) this.requestEnded();
        } else {
          break; // waiting for the response: later bytes stay buffered, the socket is paused
        }
      }
    } catch (err) {
      if (!(err instanceof HttpMessageError)) throw err;
      this.refuse(err);
    }
    this.flow();
  }

  private onRequestHead(head: RequestHead): void {
    clearTimeout(this.headTimer);
    const body = requestBody(head);
    const verdict = this.deps.judge(head);
    if (verdict.kind === 'answer') {
      // A body we would have to read and drop is not worth it: answer, then close.
      const close = verdict.close || body.kind !== 'none';
      this.client.write(ownAnswer(verdict.answer, close));
      if (close) this.finish();
      else this.nextRequest();
      return;
    }
    this.admitted = true;
    this.method = head.method;
    this.upgradeAsked = headerTokens(head.headers, 'connection').includes('upgrade');
    this.requestBody = new BodyTracker(body);
    this.responseBody = new BodyTracker({ kind: 'none' });
    this.responseHead = new HeadCollector(MAX_RESPONSE_HEAD_BYTES);
    this.response = 'head';
    this.responseStarted = false;
    this.sendUp(verdict.head);
    if (this.requestBody.done) this.requestEnded();
    else this.request = 'body';
  }

  private requestEnded(): void {
    this.request = 'waiting';
    if (this.response === 'idle') this.nextRequest();
  }

  private responseEnded(): void {
    this.response = 'idle';
    this.served += 1;
    this.upstreamReused = true;
    // The WebUI closes now; so does the browser connection, as it expects.
    if (this.closeAfterResponse) this.finish();
    else if (this.request === 'waiting') this.nextRequest();
  }

  private nextRequest(): void {
    this.request = 'head';
    this.armHeadTimer(this.deps.keepAliveTimeoutMs);
    // Called from within pump() or from the upstream side; pump again for buffered bytes.
    if (this.inBuf.length) queueMicrotask(() => this.pump());
    this.flow();
  }

  private sendUp(chunk: Buffer): void {
    if (this.upstream && !this.opening) {
      if (!this.upstream.write(chunk)) {
        this.upBlocked = true;
        this.client.pause();
      }
      return;
    }
    this.pendingUp.push(chunk);
    if (!this.opening) this.openUpstream();
  }

  private openUpstream(): void {
    this.opening = true;
    this.upstreamReused = false;
    this.flow();
    this.deps.openUpstream().then(
      (up) => {
        this.opening = false;
        if (this.client.destroyed) {
          up.destroy();
          return;
        }
        this.attachUpstream(up);
        for (const chunk of this.pendingUp.splice(0)) if (!up.write(chunk)) this.upBlocked = true;
        this.flow();
      },
      (err: Error) => {
        this.opening = false;
        this.deps.log.info({ err: err.message }, 'could not reach the node WebUI');
        this.badGateway();
      },
    );
  }

  private attachUpstream(up: Duplex): void {
    this.upstream = up;
    up.on('data', (d: Buffer) => this.fromUpstream(up, d));
    up.on('drain', () => {
      this.upBlocked = false;
      this.flow();
    });
    up.on('end', () => this.onUpstreamGone(up, true));
    up.on('close', () => this.onUpstreamGone(up, false));
    up.on('error', () => up.destroy());
  }

  private fromUpstream(up: Duplex, d: Buffer): void {
    if (up !== this.upstream || this.done) return;
    this.deps.onActivity();
    corkPerTick(this.client);
    try {
      let rest = d;
      while (rest.length > 0 && up === this.upstream) {
        if (this.response === 'head') {
          const got = this.responseHead.push(rest);
          if (!got) return;
          rest = got.rest;
          this.onResponseHead(got.head);
        } else if (this.response === 'body') {
          const n = this.responseBody.take(rest);
          this.toClient(rest.subarray(0, n));
          rest = rest.subarray(n);
          if (this.responseBody.done) this.responseEnded();
        } else if (this.response === 'tunnel') {
          this.toClient(rest);
          return;
        } else {
          // Bytes nobody asked for: this channel is out of step, use a fresh one next time.
          this.dropUpstream();
          return;
        }
      }
    } catch (err) {
      if (!(err instanceof HttpMessageError)) throw err;
      this.deps.log.info({ err: err.message }, 'the node WebUI sent a malformed response');
      this.badGateway();
    }
  }

  private onResponseHead(raw: Buffer): void {
    const head = parseResponseHead(raw);
    const upgrading = head.status === 101;
    if (upgrading && !this.upgradeAsked) throw new HttpMessageError(400, 'Switching protocols without being asked.');
    this.toClient(this.deps.rewriteResponse(head));
    this.responseStarted = true;
    const connection = headerTokens(head.headers, 'connection');
    this.closeAfterResponse = connection.includes('close') || (head.version === '1.0' && !connection.includes('keep-alive'));
    if (upgrading) {
      this.startTunnel();
      return;
    }
    if (head.status < 200) {
      this.responseHead = new HeadCollector(MAX_RESPONSE_HEAD_BYTES); // an interim answer: the final one follows
      return;
    }
    this.responseBody = new BodyTracker(responseBody(this.method, head.status, head.headers));
    this.response = 'body';
    if (this.responseBody.done) this.responseEnded();
  }

  /** After a 101: both directions become a plain pipe, starting with what is buffered. */
  private startTunnel(): void {
    this.response = 'tunnel';
    this.request = 'tunnel';
    clearTimeout(this.headTimer);
    if (this.inBuf.length) this.sendUp(this.inBuf);
    this.inBuf = Buffer.alloc(0);
    this.flow();
  }

  private toClient(chunk: Buffer): void {
    if (chunk.length === 0 || this.client.writableEnded) return;
    if (!this.client.write(chunk)) this.upstream?.pause();
  }

  private onUpstreamGone(up: Duplex, ended: boolean): void {
    if (up !== this.upstream) return;
    this.upstream = null;
    up.destroy();
    if (this.done || this.response === 'idle') return; // between requests: the next one opens a fresh channel
    if (this.response === 'tunnel' || (this.response === 'body' && ended && this.responseBody.closeDelimited)) {
      this.finish();
    } else if (this.response === 'head' && !this.responseStarted && !this.upstreamReused) {
      this.badGateway();
    } else {
      // Cut mid-answer, or a kept-alive channel closed under a new request: the browser
      // sees the connection drop and retries an idempotent request on a new one.
      this.destroy();
    }
  }

  private dropUpstream(): void {
    const up = this.upstream;
    this.upstream = null;
    up?.destroy();
  }

  /** Answers 502 if nothing of this response went out yet, and closes. */
  private badGateway(): void {
    if (!this.responseStarted && !this.done) {
      this.client.write(ownAnswer({ status: 502, headers: { 'content-type': 'text/html; charset=utf-8' }, body: BAD_GATEWAY_PAGE }, true));
      this.finish();
    } else {
      this.destroy();
    }
  }

  private refuse(err: HttpMessageError): void {
    if (this.request === 'head' && !this.done) {
      this.client.write(ownAnswer(errorAnswer(err.status, err.message), true));
      this.finish();
    } else {
      this.destroy(); // mid-body: the head already went to the node, nothing sane can be said
    }
  }

  /** The browser closed its side; a socket that is not half-open cannot be answered any more. */
  private onClientEnd(): void {
    if (this.response === 'tunnel') this.upstream?.end();
    else this.finish();
  }

  /**
   * Ends the browser connection once what is queued for it is written, and drops the
   * channel. Like Node's own HTTP server it does not wait for the browser's side to
   * close too: a peer that never reads would otherwise hold the socket for ever.
   */
  private finish(): void {
    this.done = true;
    clearTimeout(this.headTimer);
    this.inBuf = Buffer.alloc(0);
    const client = this.client;
    client.end();
    if (client.writableFinished) client.destroy();
    else client.once('finish', () => client.destroy());
    this.dropUpstream();
  }

  private destroy(): void {
    this.done = true;
    clearTimeout(this.headTimer);
    this.client.destroy();
    this.dropUpstream();
  }

  /** Reads from the browser only when its bytes have somewhere to go. */
  private flow(): void {
    const hold = this.upBlocked || this.opening || this.request === 'waiting';
    if (hold) this.client.pause();
    else if (!this.client.destroyed) this.client.resume();
  }

  /** Waits `ms` for the next request head to complete; a head cut short is told 408, an idle connection just closes. */
  private armHeadTimer(ms: number): void {
    clearTimeout(this.headTimer);
    this.headTimer = setTimeout(() => {
      if (this.request !== 'head' || this.done) return;
      if (this.requestHead.started || this.served === 0) this.client.write(ownAnswer(errorAnswer(408, 'The request head took too long.'), true));
      this.finish();
    }, ms);
    this.headTimer.unref();
  }
}
