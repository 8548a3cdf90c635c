import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { corkPerTick } from '../../shared/corkPerTick.js';
import type { Logger } from '../../shared/log.js';
import { BodyTracker, requestBody } from './bodyFraming.js';
import { endOnceWritten, lingerThenEnd } from './browserSocketEnd.js';
import { HEAD_TOO_LARGE } from './cookieBombRecovery.js';
import { HeadCollector, HttpMessageError, MAX_REQUEST_HEAD_BYTES, headerTokens, parseRequestHead, type RequestHead, type ResponseHead } from './httpHead.js';
import { BAD_GATEWAY, errorAnswer, ownAnswer, type OwnAnswer } from './ownAnswer.js';
import { ResponseReader } from './responseReader.js';
import { WebuiChannel } from './webuiChannel.js';

/** What admission decided about one request. */
export type RequestVerdict = { kind: 'relay'; head: Buffer } | { kind: 'answer'; answer: OwnAnswer; close: boolean };

/** What one relayed browser connection needs from its session port. */
export interface HttpConnectionRelayDeps {
  /** Admits one request and, if it passes, gives the head to send the WebUI. */
  judge: (head: RequestHead) => RequestVerdict;
  /** The response head to send the browser for one from the WebUI. */
  rewriteResponse: (head: ResponseHead) => Buffer;
  /** Opens a stream to the WebUI (a tunnel channel, with TLS inside for an https WebUI). */
  openUpstream: () => Promise<Duplex>;
  onActivity: () => void;
  /** Deadline for a request head once it has begun, and for the first one (slowloris). */
  headersTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  keepAliveTimeoutMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * Relays one browser connection to the node's WebUI over a channel of its own, kept for
 * the connection's life. Bytes pass unchanged except the heads, which are parsed to admit
 * each request and rewritten both ways; bodies are followed only to find where the next
 * message starts. Requests go one at a time (browsers do not pipeline), which keeps every
 * response paired with its request. A 101 answer turns the connection into a plain pipe.
 */
export class HttpConnectionRelay {
  private readonly upstream: WebuiChannel;
  private inBuf: Buffer = Buffer.alloc(0);
  private request: 'head' | 'body' | 'waiting' | 'tunnel' = 'head';
  private readonly requestHead = new HeadCollector(MAX_REQUEST_HEAD_BYTES, true);
  private requestBody = new BodyTracker({ kind: 'none' });
  private readonly response: ResponseReader;
  private headTimer: TimerHandle | undefined;
  private served = 0;
  /** A request of this connection passed admission. */
  private admitted = false;
  /** Set once the connection is being closed: later bytes either way are ignored. */
  private done = false;
  /** Refused mid-head: the answer is sent and the browser's remaining bytes are read and dropped (see linger). */
  private lingering = false;

  constructor(
    private readonly client: tls.TLSSocket,
    private readonly deps: HttpConnectionRelayDeps,
  ) {
    this.response = new ResponseReader(deps.rewriteResponse);
    this.upstream = new WebuiChannel(deps.openUpstream, {
      data: (d) => this.fromUpstream(d),
      writable: () => this.flow(),
      gone: (ended) => this.onUpstreamGone(ended),
      openFailed: (err) => {
        this.deps.log.info({ err: err.message }, 'could not reach the node WebUI');
        this.badGateway();
      },
    });
    client.on('data', (d: Buffer) => this.fromClient(d));
    client.on('drain', () => this.upstream.resume());
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
      if (err instanceof HttpMessageError) this.refuse(err);
      else this.failed(err);
    }
    this.flow();
  }

  private onRequestHead(head: RequestHead): void {
    this.stopHeadTimer();
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
    this.requestBody = new BodyTracker(body);
    this.response.expect(head.method, headerTokens(head.headers, 'connection').includes('upgrade'));
    this.sendUp(verdict.head);
    if (this.requestBody.done) this.requestEnded();
    else this.request = 'body';
  }

  private requestEnded(): void {
    this.request = 'waiting';
    if (this.response.phase === 'idle') this.nextRequest();
  }

  private responseEnded(): void {
    this.served += 1;
    this.upstream.answered();
    // The WebUI closes now; so does the browser connection, as it expects.
    if (this.response.closeAfter) this.finish();
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
    this.upstream.write(chunk);
    if (this.upstream.blocked || this.upstream.opening) this.client.pause();
  }

  private fromUpstream(d: Buffer): void {
    if (this.done) return;
    this.deps.onActivity();
    corkPerTick(this.client);
    try {
      const outcome = this.response.read(d, (bytes) => this.toClient(bytes));
      if (outcome === 'tunnel') {
        if (this.request !== 'tunnel') this.startTunnel();
      } else if (outcome !== 'more') {
        // Bytes nobody asked for put this channel out of step: the next request gets a fresh one.
        if (outcome === 'stray') this.upstream.drop();
        this.responseEnded();
      }
    } catch (err) {
      if (!(err instanceof HttpMessageError)) {
        this.failed(err);
        return;
      }
      this.deps.log.info({ err: err.message }, 'the node WebUI sent a malformed response');
      this.badGateway();
    }
  }

  /** After a 101: both directions become a plain pipe, starting with what is buffered. */
  private startTunnel(): void {
    this.request = 'tunnel';
    this.stopHeadTimer();
    if (this.inBuf.length) this.sendUp(this.inBuf);
    this.inBuf = Buffer.alloc(0);
    this.flow();
  }

  private toClient(chunk: Buffer): void {
    if (chunk.length === 0 || this.client.writableEnded) return;
    if (!this.client.write(chunk)) this.upstream.pause();
  }

  private onUpstreamGone(ended: boolean): void {
    const phase = this.response.phase;
    if (this.done || phase === 'idle') return; // between requests: the next one opens a fresh channel
    if (phase === 'tunnel' || (ended && this.response.closeDelimited)) {
      this.finish();
    } else if (phase === 'head' && !this.response.started && !this.upstream.reused) {
      this.badGateway();
    } else {
      // Cut mid-answer, or a kept-alive channel closed under a new request: the browser
      // sees the connection drop and retries an idempotent request on a new one.
      this.destroy();
    }
  }

  /** Answers 502 if nothing of this response went out yet, and closes. */
  private badGateway(): void {
    if (!this.response.started && !this.done) {
      this.client.write(ownAnswer(BAD_GATEWAY, true));
      this.finish();
    } else {
      this.destroy();
    }
  }

  private refuse(err: HttpMessageError): void {
    if (this.request === 'head' && !this.done) {
      this.client.write(ownAnswer(err.status === 431 ? HEAD_TOO_LARGE : errorAnswer(err.status, err.message), true));
      this.linger();
    } else {
      this.destroy(); // mid-body: the head already went to the node, nothing sane can be said
    }
  }

  /** The browser closed its side; a socket that is not half-open cannot be answered any more. */
  private onClientEnd(): void {
    if (this.response.phase === 'tunnel') this.upstream.end();
    else this.finish();
  }

  /** Ends the browser connection once what is queued for it is written, and drops the channel. */
  private finish(): void {
    this.done = true;
    this.stopHeadTimer();
    this.inBuf = Buffer.alloc(0);
    endOnceWritten(this.client);
    this.upstream.close();
  }

  /** Drops the channel and ends the browser connection after an answer given mid-head (see lingerThenEnd). */
  private linger(): void {
    this.done = true;
    this.lingering = true;
    this.stopHeadTimer();
    this.inBuf = Buffer.alloc(0);
    this.upstream.close();
    lingerThenEnd(this.client, this.deps.clock);
  }

  /** A bug of ours, met on one connection: it costs that connection, not the server. */
  private failed(err: unknown): void {
    this.deps.log.error({ err }, 'session relay failed');
    this.destroy();
  }

  private destroy(): void {
    this.done = true;
    this.stopHeadTimer();
    this.client.destroy();
    this.upstream.close();
  }

  /** Reads from the browser only when its bytes have somewhere to go. */
  private flow(): void {
    if (this.lingering) return;
    const hold = this.upstream.blocked || this.upstream.opening || this.request === 'waiting';
    if (hold) this.client.pause();
    else if (!this.client.destroyed) this.client.resume();
  }

  /** Waits `ms` for the next request head to complete; a head cut short is told 408, an idle connection just closes. */
  private armHeadTimer(ms: number): void {
    this.stopHeadTimer();
    this.headTimer = this.deps.clock.setTimeout(() => {
      this.headTimer = undefined;
      if (this.request !== 'head' || this.done) return;
      if (this.requestHead.started || this.served === 0) this.client.write(ownAnswer(errorAnswer(408, 'The request head took too long.'), true));
      this.finish();
    }, ms);
  }

  private stopHeadTimer(): void {
    if (this.headTimer) this.deps.clock.clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }
}
