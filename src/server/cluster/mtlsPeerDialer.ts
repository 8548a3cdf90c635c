import http from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Clock } from '../../shared/clock.js';
import { BurrowError, isErrorCode, type ErrorCode } from '../../shared/errors.js';
import { TLS13_SUITES } from '../../shared/tlsPolicy.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';
import { presentsPeerKey, type PeerCredentials } from './peerCredentials.js';
import type { PeerDialer } from './peerDialer.js';
import { APPROVAL_HEADER, ORIGIN_IP_HEADER, ORIGIN_PORT_HEADER, PEER_UPGRADE, peerServicePath } from './peerLinkProtocol.js';

/** What the dialer is built from. */
export interface MtlsPeerDialerDeps {
  credentials: PeerCredentials;
  clock: Clock;
  /** Until the TLS handshake is done (TCP connect included). */
  connectTimeoutMs?: number;
  /** From the request to the 101 (the holding instance opens the node's channel meanwhile). */
  upgradeTimeoutMs?: number;
}

/** Defaults: a peer is on the same network, a node channel opens within a round trip to the node. */
export const PEER_CONNECT_TIMEOUT_MS = 5_000;
export const PEER_UPGRADE_TIMEOUT_MS = 15_000;

/** Error codes a peer's answer may carry through as they are; anything else is the peer failing. */
const PASSED_THROUGH: ReadonlySet<ErrorCode> = new Set(['NODE_OFFLINE', 'SERVICE_UNAVAILABLE_ON_NODE', 'CHANNEL_LIMIT']);

/** How long an error answer's body may be. */
const MAX_ERROR_BODY = 16 * 1024;

/**
 * Dials another instance's peer link: TLS 1.3 with the deployment's peer certificate as the
 * client certificate, and the server admitted only when it presents the same peer key (no
 * CA, no host name: the key is the identity). Nothing of the request is sent before the
 * server's key matched. One TLS connection per relayed stream, so backpressure and closes
 * are the TCP connection's own.
 */
export class MtlsPeerDialer implements PeerDialer {
  private readonly open = new Set<tls.TLSSocket>();
  private readonly connectTimeoutMs: number;
  private readonly upgradeTimeoutMs: number;
  private closed = false;

  constructor(private readonly d: MtlsPeerDialerDeps) {
    this.connectTimeoutMs = d.connectTimeoutMs ?? PEER_CONNECT_TIMEOUT_MS;
    this.upgradeTimeoutMs = d.upgradeTimeoutMs ?? PEER_UPGRADE_TIMEOUT_MS;
  }

  openService(peerUrl: string, nodeId: string, service: string, origin: ForwardOrigin): Promise<Duplex> {
    if (this.closed) return Promise.reject(new BurrowError('PEER_UNREACHABLE', 'The peer dialer is closed (the server is stopping).'));
    const url = URL.canParse(peerUrl) ? new URL(peerUrl) : undefined;
    if (!url || url.protocol !== 'https:') return Promise.reject(new BurrowError('PEER_UNREACHABLE', `"${peerUrl}" is not a peer URL (https://HOST:PORT).`));
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || 443);
    const where = `the instance at ${url.host}`;
    return new Promise<Duplex>((resolve, reject) => {
      let settled = false;
      const socket = tls.connect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        cert: this.d.credentials.cert,
        key: this.d.credentials.key,
        minVersion: 'TLSv1.3',
        ciphers: TLS13_SUITES,
        // The pin decides, below: no CA signs peer keys.
        rejectUnauthorized: false,
      });
      // The node may finish sending before the dialing side has: half-close, as TCP.
      socket.allowHalfOpen = true;
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
      const fail = (err: BurrowError) => {
        if (settled) return;
        settled = true;
        this.d.clock.clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      let timer = this.d.clock.setTimeout(() => fail(new BurrowError('PEER_UNREACHABLE', `Cannot reach ${where}: no TLS connection within ${this.connectTimeoutMs} ms.`)), this.connectTimeoutMs);
      const onSocketError = (err: NodeJS.ErrnoException) => fail(new BurrowError('PEER_UNREACHABLE', `Cannot reach ${where}: ${err.code ?? err.message}.`, { cause: err }));
      socket.once('error', onSocketError);
      socket.once('secureConnect', () => {
        this.d.clock.clearTimeout(timer);
        if (!presentsPeerKey(socket.getPeerCertificate(), this.d.credentials.pin)) {
          fail(new BurrowError('PEER_UNREACHABLE', `${capitalize(where)} does not hold this deployment's peer key; it is not one of our instances (or its peer files differ from ours).`));
          return;
        }
        timer = this.d.clock.setTimeout(() => fail(new BurrowError('PEER_UNREACHABLE', `${capitalize(where)} did not open node ${nodeId}'s "${service}" within ${this.upgradeTimeoutMs} ms.`)), this.upgradeTimeoutMs);
        socket.off('error', onSocketError);
        const req = http.request({
          createConnection: () => socket,
          method: 'GET',
          path: peerServicePath(nodeId, service),
          headers: { host: url.host, connection: 'Upgrade', upgrade: PEER_UPGRADE, [ORIGIN_IP_HEADER]: origin.ip, [ORIGIN_PORT_HEADER]: String(origin.port), ...(origin.approval ? { [APPROVAL_HEADER]: origin.approval } : {}) },
        });
        req.on('upgrade', (res, upgraded: Duplex, head: Buffer) => {
          if (settled) return;
          if (res.headers.upgrade?.toLowerCase() !== PEER_UPGRADE) {
            fail(new BurrowError('PEER_UNREACHABLE', `${capitalize(where)} answered the relay with an unknown upgrade; is it a burrow peer link?`));
            return;
          }
          settled = true;
          this.d.clock.clearTimeout(timer);
          if (head.length) upgraded.unshift(head);
          socket.setKeepAlive(true, 30_000);
          socket.setNoDelay(true);
          resolve(upgraded);
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_ERROR_BODY) chunks.push(c);
          });
          res.on('end', () => fail(answerError(where, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (err) => fail(new BurrowError('PEER_UNREACHABLE', `${capitalize(where)} broke off its answer: ${err.message}.`, { cause: err })));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A peer that refuses our key cuts the connection right after the handshake (in TLS
          // 1.3 the client learns of it only then), so a connection ended before any answer
          // most likely means the keys differ.
          fail(new BurrowError('PEER_UNREACHABLE', `${capitalize(where)} closed the connection before answering (${err.code ?? err.message}); it may not accept this instance's peer key.`, { cause: err }));
        });
        req.end();
      });
    });
  }

  /** Refuses further dials and cuts every connection this dialer opened (relays included). */
  close(): Promise<void> {
    this.closed = true;
    for (const s of this.open) s.destroy();
    return Promise.resolve();
  }
}

/** The error an instance's non-101 answer stands for. */
function answerError(where: string, status: number, text: string): BurrowError {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (isErrorCode(e?.code) && PASSED_THROUGH.has(e.code) && typeof e.message === 'string') return new BurrowError(e.code, e.message);
  const detail = typeof e?.message === 'string' ? `: ${e.message}` : '';
  return new BurrowError('PEER_UNREACHABLE', `${capitalize(where)} refused the relay with HTTP ${status}${detail}.`);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
