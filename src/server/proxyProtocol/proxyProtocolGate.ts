import type { Server, Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { normalizeIp } from '../../shared/net.js';
import { recordClientAddress } from '../clientAddress.js';
import { RefusalLog } from '../refusalLog.js';
import { parseProxyHeader, startsLikeProxyHeader } from './proxyHeader.js';
import type { TrustedBalancers } from './trustedBalancers.js';

/** How long a listed balancer has to send its PROXY header (HAProxy sends it at once). */
export const PROXY_HEADER_TIMEOUT_MS = 5_000;

/** What the PROXY protocol needs. */
export interface ProxyProtocolDeps {
  balancers: TrustedBalancers;
  clock: Clock;
  log: Logger;
  headerTimeoutMs?: number;
}

/** What attaching to a listener gives back: `close()` cuts the connections still waiting for their header. */
export interface ProxyProtocolGate {
  close(): void;
}

/** How one listener is gated. */
export interface GateOptions {
  /**
   * Look at the first bytes of connections from unlisted addresses and cut those that open
   * with a PROXY header. Needed where the bytes reach a service as they are (a plain TCP
   * session); a TLS listener refuses such bytes by itself, and on a port where the server
   * may speak first nothing can wait for the client.
   */
  watchUnlisted?: boolean;
}

/**
 * The PROXY protocol (v2, and v1 text) on the server's listeners: a connection from a
 * listed balancer must open with a header, which names the real client for every later
 * check (clientAddress.ts); anything else from it is refused. A connection from anywhere
 * else is taken at its socket's word. The header comes before anything else, the TLS
 * ClientHello included, so the gate sits in front of every `connection` listener.
 */
export class ProxyProtocol {
  private readonly refusals: RefusalLog;
  private readonly timeoutMs: number;

  constructor(private readonly deps: ProxyProtocolDeps) {
    this.refusals = new RefusalLog(deps.log, deps.clock, 'connection refused: no valid PROXY header from a listed balancer, or one from an unlisted address');
    this.timeoutMs = deps.headerTimeoutMs ?? PROXY_HEADER_TIMEOUT_MS;
  }

  /**
   * Puts the gate in front of `server`'s current `connection` listeners (attach it after
   * them: connection caps then count the real client). With no balancer listed it does nothing.
   */
  attach(server: Server, o: GateOptions = {}): ProxyProtocolGate {
    if (!this.deps.balancers.enabled) return { close: () => undefined };
    const downstream = server.listeners('connection') as Array<(socket: Socket) => void>;
    server.removeAllListeners('connection');
    const pending = new Set<Socket>();
    const pass = (socket: Socket) => {
      for (const listener of downstream) listener.call(server, socket);
    };
    server.on('connection', (socket: Socket) => {
      const peer = normalizeIp(socket.remoteAddress);
      if (this.deps.balancers.trusts(peer)) this.readHeader(socket, peer, pending, pass);
      else {
        if (o.watchUnlisted) this.watchForHeader(socket, peer);
        pass(socket);
      }
    });
    return {
      close: () => {
        for (const s of pending) s.destroy();
        pending.clear();
      },
    };
  }

  /** Stops the pending refusal summaries (the server is stopping). */
  close(): void {
    this.refusals.close();
  }

  /** Holds a balancer's connection until its header is read, then hands the rest on. */
  private readHeader(socket: Socket, peer: string, pending: Set<Socket>, pass: (s: Socket) => void): void {
    pending.add(socket);
    let buffered = Buffer.alloc(0);
    let timer: TimerHandle | undefined;
    const done = () => {
      pending.delete(socket);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('close', done);
      if (timer) this.deps.clock.clearTimeout(timer);
      timer = undefined;
    };
    const refuse = (reason: string) => {
      done();
      socket.destroy();
      this.refusals.refused(peer, 0);
      this.deps.log.debug({ ip: peer, reason }, 'PROXY header refused');
    };
    const onError = () => refuse('connection error before the PROXY header');
    // `readable` and read(), not `data`: the socket stays paused, so the bytes after the
    // header can be put back with unshift() for whoever reads next (TLS, HTTP, a relay).
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffered = Buffer.concat([buffered, chunk]);
        const r = parseProxyHeader(buffered);
        if (r.kind === 'incomplete') continue;
        if (r.kind === 'invalid') return refuse(r.reason);
        done();
        if (r.kind === 'proxy') recordClientAddress(socket, r.client);
        socket.pause();
        const rest = buffered.subarray(r.length);
        if (rest.length) socket.unshift(rest);
        pass(socket);
        return;
      }
    };
    timer = this.deps.clock.setTimeout(() => refuse('no complete PROXY header in time'), this.timeoutMs);
    socket.on('readable', onReadable);
    socket.on('error', onError);
    socket.once('close', done);
  }

  /**
   * Cuts a connection from an unlisted address whose first bytes are a PROXY header. The
   * check sits in the socket's push(), where bytes arrive from the network, so that no
   * listener (a relay piping to the node) ever sees the forged header; the first bytes are
   * held back only while they could still be one (at most 11).
   */
  private watchForHeader(socket: Socket, peer: string): void {
    const push = socket.push.bind(socket);
    let held = Buffer.alloc(0);
    const restore = () => {
      delete (socket as Partial<Pick<Socket, 'push'>>).push;
    };
    socket.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk === null) {
        restore();
        if (held.length) push(held);
        return push(null);
      }
      held = Buffer.concat([held, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, encoding)]);
      const verdict = startsLikeProxyHeader(held);
      if (verdict === 'maybe') return true;
      restore();
      if (verdict === 'yes') {
        socket.destroy();
        this.refusals.refused(peer, 0);
        return false;
      }
      return push(held);
    };
  }
}
