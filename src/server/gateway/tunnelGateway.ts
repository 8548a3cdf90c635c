import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomInt } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { WebSocketServer, type WebSocket } from 'ws';
import { createTunnelStream } from '../../shared/tunnelStream.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { TUNNEL_PATH } from '../../shared/protocol.js';
import { parseServiceTargetsHeader, SERVICE_TARGETS_HEADER, type ServiceTarget } from '../../shared/serviceTarget.js';
import { getNode, type NodeRecord } from '../store/nodeStore.js';
import { signingKey } from '../../shared/sshSigning.js';
import { NodeConnection, type NodeConnectionLimits } from './nodeConnection.js';
import type { NodeRegistry } from './nodeRegistry.js';
import { clientAddress } from '../clientAddress.js';
import { TunnelAuthenticator, type AuthenticatingLink, type TunnelAuthenticatorDeps } from './tunnelAuthenticator.js';

/** What the gateway needs (besides what authenticating a node needs). */
export interface TunnelGatewayDeps extends TunnelAuthenticatorDeps {
  hostKey: string;
  registry: NodeRegistry;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Tunnels allowed to be mid-handshake at once; more are told to come back later. */
  maxPendingHandshakes: number;
  /**
   * Authenticated tunnels whose connect is still being written to the store: they count
   * against maxPendingHandshakes, so a store that falls behind slows admission instead of
   * every handshake waiting on it past its timeout.
   */
  setupBacklog?: () => number;
  /** Authentication attempts per tunnel connection before it is cut. */
  maxAuthAttempts: number;
  /** Bounds on each node's services and channels. */
  nodeLimits: NodeConnectionLimits;
  /** Called with a tunnel's TCP socket once its node authenticated (it leaves the per-address cap). */
  onAuthenticatedSocket?: (socket: Socket) => void;
  /** Called once a node is authenticated and registered. */
  onNodeOnline?: (conn: NodeConnection) => void;
  /** Told of an authenticated node's tunnel: its TCP socket and the stream SSH reads (data budgets count and throttle them). */
  onTunnel?: (nodeId: string, socket: Socket, stream: Duplex) => void;
}

interface PendingLink extends AuthenticatingLink {
  /** The service targets the agent declared on its upgrade request. */
  targets: Map<string, ServiceTarget>;
  /** The TCP connection under the WebSocket. */
  socket: Socket;
  /** The WebSocket as the byte stream SSH runs over. */
  stream: Duplex;
  /** Cuts the link if no node authenticates in time; unset once the handshake settled. */
  deadline: TimerHandle | undefined;
}

/**
 * The server end of `/v1/tunnel`: upgrades the HTTPS request to a WebSocket and runs an
 * SSH server over it, where each node authenticates with its own ed25519 key.
 */
export class TunnelGateway {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  private readonly ssh: ssh2.Server;
  private readonly auth: TunnelAuthenticator;
  /** Links between the WebSocket accepted and the SSH client it turns into, keyed ip:port. */
  private readonly pending = new Map<string, PendingLink>();
  private closed = false;
  /** Tunnels upgraded but not yet authenticated. */
  private handshaking = 0;

  constructor(private readonly deps: TunnelGatewayDeps) {
    this.auth = new TunnelAuthenticator(deps);
    this.ssh = new ssh2.Server(
      {
        hostKeys: [{ key: signingKey(deps.hostKey) }],
        keepaliveInterval: deps.keepaliveIntervalMs,
        keepaliveCountMax: deps.keepaliveCountMax,
        ident: 'burrow',
      },
      (client, info) => this.onSshClient(client, info.ip, info.port),
    );
  }

  /** Whether an HTTP upgrade request is for the tunnel. */
  handles(req: IncomingMessage): boolean {
    return (req.url ?? '').split('?')[0] === TUNNEL_PATH;
  }

  /** Takes over an upgrade request for `/v1/tunnel`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const backlog = this.handshaking + (this.deps.setupBacklog?.() ?? 0);
    if (backlog >= this.deps.maxPendingHandshakes) {
      this.deps.onRefused?.('busy');
      refuseBusy(socket, backlog);
      return;
    }
    // Read what the link needs off the request now: closures made per upgraded link live as
    // long as the tunnel, and any that reached `req` would keep the whole request (headers,
    // raw headers, parser leftovers) alive for every connected node.
    // The client's own address, as a listed balancer's PROXY header names it.
    const { ip, port } = clientAddress(req.socket);
    const targets = parseServiceTargetsHeader(req.headers[SERVICE_TARGETS_HEADER]);
    const tcp = req.socket;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onUpgraded(ws, tcp, ip, port, targets));
  }

  /** Runs SSH over a freshly upgraded tunnel WebSocket, under the authentication deadline. */
  private onUpgraded(ws: WebSocket, socket: Socket, ip: string, port: number, targets: Map<string, ServiceTarget>): void {
    this.handshaking++;
    const key = `${ip}:${port}`;
    const stream = createTunnelStream(ws);
    // ssh2 reads the peer address off the socket it is given; give it the real one so
    // the `connection` event can find this WebSocket again.
    Object.assign(stream, { remoteAddress: ip, remotePort: port });
    stream.on('error', () => undefined);
    let settled = false;
    const link: PendingLink = {
      ws,
      ip,
      targets,
      socket,
      stream,
      settle: () => {
        if (settled) return;
        settled = true;
        this.handshaking--;
      },
      deadline: this.deps.clock.setTimeout(() => {
        this.deps.log.info({ peer: key }, 'tunnel cut: no node authenticated in time');
        ws.terminate();
      }, this.deps.authTimeoutMs),
    };
    this.pending.set(key, link);
    ws.once('close', () => {
      standDown(this.deps.clock, link);
      link.settle();
      this.pending.delete(key);
      // ws's stream only ends its readable side on close; ssh2 waits for `close`, so
      // without this a node that leaves without an SSH disconnect stays "online".
      stream.destroy();
    });
    this.ssh.injectSocket(stream as never);
  }

  private onSshClient(client: Connection, ip: string, port: number): void {
    const link = this.pending.get(`${ip}:${port}`);
    const log = this.deps.log.child({ peer: `${ip}:${port}` });
    let node: NodeRecord | undefined;
    let attempts = 0;
    // A client asks "would this key do?" and then signs: one store read serves both.
    const lookups = new Map<string, Promise<NodeRecord | undefined>>();
    const lookup = (nodeId: string) => {
      const found = lookups.get(nodeId) ?? getNode(this.deps.db, nodeId).catch(() => undefined);
      lookups.set(nodeId, found);
      return found;
    };
    client.on('error', (err: Error & { level?: string }) => {
      log.debug({ err: err.message }, 'tunnel ssh error');
      // Keepalives went unanswered: the link is dead, so drop it now instead of waiting
      // for a WebSocket close handshake that cannot complete.
      if (err.level === 'client-timeout') {
        log.info('node stopped answering keepalives; dropping its tunnel');
        link?.ws.terminate();
      }
    });
    client.on('authentication', (ctx) => {
      attempts += 1;
      if (attempts > this.deps.maxAuthAttempts) {
        log.info({ attempts }, 'tunnel cut: too many authentication attempts');
        ctx.reject([]);
        link?.ws.terminate();
        return;
      }
      void this.auth.authenticate(ctx, link, lookup, (n) => {
        node = n;
      });
    });
    client.on('ready', () => {
      link?.settle();
      // The handlers above live as long as the tunnel: let go of the records they looked up.
      lookups.clear();
      if (!node) {
        client.end();
        return;
      }
      if (link) {
        this.deps.onAuthenticatedSocket?.(link.socket);
        standDown(this.deps.clock, link);
      }
      const conn = new NodeConnection(node.id, ip, client, log.child({ nodeId: node.id }), this.deps.clock.now(), link?.targets, this.deps.nodeLimits);
      node = undefined;
      this.deps.registry.add(conn);
      if (link) this.deps.onTunnel?.(conn.nodeId, link.socket, link.stream);
      this.deps.onNodeOnline?.(conn);
    });
  }

  /** Stops accepting tunnels, drops the ones up now and resolves once their sockets are gone. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.deps.registry.closeAll();
      for (const c of this.wss.clients) c.terminate();
    }
    // With client tracking on, ws calls back only after every connection has closed.
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * Clears a link's authentication deadline and drops the timer, which would otherwise stay
 * referenced (with its closure) for as long as the tunnel is up.
 */
function standDown(clock: Clock, link: PendingLink): void {
  if (!link.deadline) return;
  clock.clearTimeout(link.deadline);
  link.deadline = undefined;
}

/**
 * Turns a tunnel away while too many handshakes are under way (a reconnect storm after a
 * restart): a cheap 503 whose Retry-After spreads the fleet over the next seconds, in
 * proportion to the backlog, instead of handshakes timing out under load.
 */
function refuseBusy(socket: Duplex, backlog: number): void {
  const retryAfter = 1 + randomInt(0, Math.ceil(backlog / 100) + 1);
  const body = JSON.stringify({ error: { code: 'RATE_LIMITED', message: `The server is busy; retry in ${retryAfter} s.` } });
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${retryAfter}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
