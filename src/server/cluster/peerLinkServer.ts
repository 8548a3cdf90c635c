import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '../../shared/clock.js';
import { BurrowError, statusOf, type ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { TLS13_SUITES, TLS_HANDSHAKE_TIMEOUT_MS } from '../../shared/tlsPolicy.js';
import { DeniedAttempts } from '../audit/deniedAttempts.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';
import { listenOn } from '../listenOn.js';
import { RefusalLog } from '../refusalLog.js';
import type { AuditEntry } from '../store/auditStore.js';
import { presentsPeerKey, type PeerCredentials } from './peerCredentials.js';
import { PEER_UPGRADE, parseOrigin, parsePeerServicePath } from './peerLinkProtocol.js';
import { relayToChannel } from './relayToChannel.js';

/** What the peer link needs of a node whose tunnel this instance holds. */
export interface LocalNode {
  openService(name: string, origin: ForwardOrigin): Promise<Duplex>;
}

/** Told of relays as they open, carry bytes and close (the server's metrics). */
export interface PeerRelayObserver {
  peerRelayOpened(): void;
  peerRelayClosed(): void;
  /** `up`: from the peer towards the node; `down`: from the node back. */
  peerRelayedBytes(direction: 'up' | 'down', bytes: number): void;
}

/** What the peer link server is built from. */
export interface PeerLinkServerDeps {
  credentials: PeerCredentials;
  /** The node's connection when this instance holds its tunnel. */
  localNode: (nodeId: string) => LocalNode | undefined;
  clock: Clock;
  log: Logger;
  /** Writes one audit entry (refused peers, rate-limited here to one per address per minute). */
  audit: (e: AuditEntry, at: number) => Promise<void>;
  observer?: PeerRelayObserver;
  /** Relays one peer address may hold open at once; the next gets 429 CHANNEL_LIMIT. */
  maxRelaysPerPeer?: number;
}

/** Relays one peer may hold by default: well above what one instance's sessions, shells and jobs need of another. */
export const DEFAULT_MAX_RELAYS_PER_PEER = 4096;

const ONE_MINUTE_MS = 60_000;

/** How long an authenticated peer has to send its relay request. */
const REQUEST_HEADERS_TIMEOUT_MS = 10_000;

/**
 * The peer link's listener: HTTPS with mutual TLS, where the only credential is the
 * deployment's peer key. A client is admitted only when its certificate carries the same
 * key as ours; anyone else is cut right after the handshake, before a byte of a request
 * is read, and audited (once per address per minute). An admitted peer asks for a node's
 * service with an upgrade request; the answer is 101 and a byte relay to the node's
 * channel, or an error with burrow's JSON error body.
 */
export class PeerLinkServer {
  private readonly server: https.Server;
  private readonly admitted = new WeakSet<TLSSocket>();
  private readonly relaysByPeer = new Map<string, number>();
  private readonly relays = new Set<Duplex>();
  private readonly denials: DeniedAttempts;
  private readonly refusals: RefusalLog;
  private readonly maxRelaysPerPeer: number;
  private closing: Promise<void> | undefined;

  constructor(private readonly d: PeerLinkServerDeps) {
    this.maxRelaysPerPeer = d.maxRelaysPerPeer ?? DEFAULT_MAX_RELAYS_PER_PEER;
    this.denials = new DeniedAttempts({ clock: d.clock, log: d.log, write: d.audit, perWindow: 1, windowMs: ONE_MINUTE_MS });
    this.refusals = new RefusalLog(d.log, d.clock, 'peer link refused a connection: not this deployment\'s peer key', ONE_MINUTE_MS);
    this.server = https.createServer({
      cert: d.credentials.cert,
      key: d.credentials.key,
      // Our own instances on both ends: TLS 1.3 only.
      minVersion: 'TLSv1.3',
      ciphers: TLS13_SUITES,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      // Ask for a certificate but judge it ourselves: no CA signs peer keys, the pin decides.
      requestCert: true,
      rejectUnauthorized: false,
      headersTimeout: REQUEST_HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_HEADERS_TIMEOUT_MS,
    });
    // Before the HTTP layer's own listener, so a refused client's bytes are never parsed.
    this.server.prependListener('secureConnection', (socket: TLSSocket) => this.admit(socket));
    this.server.on('tlsClientError', (_err, socket) => socket.destroy());
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.plainRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.relay(req, socket as TLSSocket, head));
  }

  /** Starts listening on `listen` (HOST:PORT). */
  async listen(listen: string): Promise<void> {
    await listenOn(this.server, listen, 'for the peer link');
  }

  /** Whether the listener is up (for /readyz). */
  get listening(): boolean {
    return this.server.listening;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Relays open now. */
  get openRelays(): number {
    return this.relays.size;
  }

  /** Stops listening, cuts every relay and connection, and writes the pending refusal summaries; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const r of this.relays) r.destroy();
      this.server.closeAllConnections();
      this.refusals.close();
      await closed;
      await this.denials.close();
    })();
    return this.closing;
  }

  private admit(socket: TLSSocket): void {
    if (presentsPeerKey(socket.getPeerCertificate(), this.d.credentials.pin)) {
      this.admitted.add(socket);
      return;
    }
    const ip = socket.remoteAddress ?? 'unknown';
    const reason = socket.getPeerCertificate().raw ? 'other-key' : 'no-certificate';
    socket.destroy();
    this.refusals.refused(ip, 0);
    this.denials.denied({ actor: 'anonymous', sourceIp: ip, action: 'peer.deny', target: null, detail: { reason } });
  }

  private plainRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.admitted.has(req.socket as TLSSocket)) {
      req.socket.destroy();
      return;
    }
    const code: ErrorCode = parsePeerServicePath(req.url ?? '') ? 'UPGRADE_REQUIRED' : 'ROUTE_NOT_FOUND';
    const body = errorBody(code, code === 'UPGRADE_REQUIRED' ? `The peer link relays only upgrade requests (Upgrade: ${PEER_UPGRADE}).` : 'The peer link serves only /peer/v1/nodes/<id>/services/<name>.');
    res.writeHead(statusOf(code), { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  }

  private async relay(req: IncomingMessage, socket: TLSSocket, head: Buffer): Promise<void> {
    if (!this.admitted.has(socket) || this.closing) {
      socket.destroy();
      return;
    }
    // The HTTP layer let go of the socket with its upgrade: a reset while the node opens the
    // channel must not go unheard (an unhandled 'error' would end the process).
    socket.on('error', (err: Error) => this.d.log.debug({ err: err.message }, 'peer relay connection failed'));
    const target = req.method === 'GET' ? parsePeerServicePath(req.url ?? '') : undefined;
    const origin = parseOrigin(req.headers);
    if (!target || !origin || req.headers.upgrade?.toLowerCase() !== PEER_UPGRADE) {
      refuse(socket, 'BAD_REQUEST', `A relay is GET /peer/v1/nodes/<id>/services/<name> with Upgrade: ${PEER_UPGRADE} and the origin's address and port.`);
      return;
    }
    const peer = socket.remoteAddress ?? 'unknown';
    const held = this.relaysByPeer.get(peer) ?? 0;
    if (held >= this.maxRelaysPerPeer) {
      this.d.log.warn({ peer, relays: held }, 'peer relay refused: the peer holds the most relays allowed');
      refuse(socket, 'CHANNEL_LIMIT', `This instance relays ${held} connections for ${peer}, the most one peer may hold.`);
      return;
    }
    const node = this.d.localNode(target.nodeId);
    if (!node) {
      refuse(socket, 'NODE_OFFLINE', `Node ${target.nodeId} is not connected to this instance.`);
      return;
    }
    // Held from the request on, so a burst of opens cannot slip past the bound while pending.
    this.relaysByPeer.set(peer, held + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.relaysByPeer.get(peer) ?? 1) - 1;
      if (n > 0) this.relaysByPeer.set(peer, n);
      else this.relaysByPeer.delete(peer);
    };
    let channel: Duplex;
    try {
      channel = await node.openService(target.service, origin);
    } catch (err) {
      release();
      const e = err instanceof BurrowError ? err : new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${target.nodeId} did not open "${target.service}": ${(err as Error).message}.`);
      refuse(socket, e.code === 'INTERNAL' ? 'SERVICE_UNAVAILABLE_ON_NODE' : e.code, e.message);
      return;
    }
    // The peer gave up (or we are closing) while the node was opening the channel.
    if (socket.destroyed || this.closing) {
      release();
      // Read to its end: an SSH channel reports its close only once its data is consumed.
      channel.resume();
      channel.destroy();
      socket.destroy();
      return;
    }
    this.startRelay(socket, channel, head, release);
    this.d.log.debug({ peer, nodeId: target.nodeId, service: target.service }, 'peer relay opened');
  }

  private startRelay(socket: TLSSocket, channel: Duplex, head: Buffer, release: () => void): void {
    // A peer that has finished sending still reads the node's answer: half-close, as TCP.
    socket.allowHalfOpen = true;
    socket.setKeepAlive(true, 30_000);
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${PEER_UPGRADE}\r\n\r\n`);
    if (head.length) channel.write(head);
    this.relays.add(socket);
    const observer = this.d.observer;
    observer?.peerRelayOpened();
    if (observer) {
      socket.on('data', (b: Buffer) => observer.peerRelayedBytes('up', b.length));
      channel.on('data', (b: Buffer) => observer.peerRelayedBytes('down', b.length));
    }
    let ended = 0;
    const done = () => {
      ended += 1;
      if (ended !== 2) return;
      this.relays.delete(socket);
      release();
      observer?.peerRelayClosed();
    };
    socket.once('close', done);
    channel.once('close', done);
    relayToChannel(socket, channel);
  }
}

function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Status of each refusal: the node not held here is 404 (the dialer asks the store again), a refusing node 502. */
const REFUSAL_STATUS: Partial<Record<ErrorCode, number>> = { NODE_OFFLINE: 404, SERVICE_UNAVAILABLE_ON_NODE: 502 };

/** Answers an upgrade request with an error and closes the connection. */
function refuse(socket: TLSSocket, code: ErrorCode, message: string): void {
  const body = errorBody(code, message);
  const status = REFUSAL_STATUS[code] ?? statusOf(code);
  // The peer closes once it has read the answer; one that does not is cut after a while.
  socket.setTimeout(REQUEST_HEADERS_TIMEOUT_MS, () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
