import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why a tunnel was refused: the gateway's own reasons, plus the main port's per-address cap. */
export type TunnelRefusal = 'unknown-node' | 'wrong-key' | 'bad-signature' | 'revoked' | 'busy' | 'address-cap' | 'tls-busy';

/** Why a connected node's tunnel ended: a newer link of the same node, the server cut it, or the link itself ended. */
export type TunnelDisconnect = 'replaced' | 'server' | 'link';

/** The close reasons a session can have; any other is counted as `other`, so labels stay a closed set. */
const SESSION_CLOSE_REASONS = new Set([
  'closed-by-user', 'expired', 'idle', 'node-offline', 'node-revoked', 'server-shutdown',
  'logout', 'user-disabled', 'grant-removed', 'token-revoked', 'token-expired', 'signed-out', 'totp-reset', 'user-deleted', 'password-changed', 'password-reset',
]);

/** prom-client's default gauges whose names end in _total. */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The store operations timed, one label value each. */
export type StoreOp = 'run' | 'get' | 'all' | 'exec' | 'transaction';

/**
 * The server's Prometheus metrics in a registry of its own (never prom-client's global one,
 * so two servers in one process, as in tests, do not share counters). Parts of the server
 * report through the small methods below; labels never carry node, user or session ids.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly tunnelConnects = new Counter({ name: 'burrow_tunnel_connects_total', help: 'Node tunnels that authenticated and came online.', registers: [this.registry] });
  private readonly tunnelDisconnects = new Counter({ name: 'burrow_tunnel_disconnects_total', help: 'Node tunnels that ended, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  private readonly tunnelRefusals = new Counter({ name: 'burrow_tunnel_refusals_total', help: 'Tunnel connections refused, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  private readonly sessionsOpen = new Gauge({ name: 'burrow_sessions_open', help: 'Sessions open now.', registers: [this.registry] });
  private readonly sessionsOpened = new Counter({ name: 'burrow_sessions_opened_total', help: 'Sessions opened, by type.', labelNames: ['type'] as const, registers: [this.registry] });
  private readonly sessionsClosed = new Counter({ name: 'burrow_sessions_closed_total', help: 'Sessions closed, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  private readonly bytesRelayed = new Counter({ name: 'burrow_session_relayed_bytes_total', help: 'Bytes relayed through session ports, by direction (up: client to node), counted when a session closes.', labelNames: ['direction'] as const, registers: [this.registry] });
  private readonly sessionOpenSeconds = new Histogram({ name: 'burrow_session_open_seconds', help: 'Time to open a session: port bound and recorded.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });
  private readonly signIns = new Counter({ name: 'burrow_sign_ins_total', help: 'Sign-ins by how (cli, console) and result (ok, denied, throttled, error).', labelNames: ['via', 'result'] as const, registers: [this.registry] });
  private readonly storeSeconds = new Histogram({ name: 'burrow_store_query_seconds', help: 'Store query latency, queueing included, by operation.', labelNames: ['op'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry] });
  private readonly httpRequests = new Counter({ name: 'burrow_http_requests_total', help: 'API and console requests, by method, route pattern and status.', labelNames: ['method', 'route', 'status'] as const, registers: [this.registry] });
  private readonly peerRelaysOpen = new Gauge({ name: 'burrow_peer_relays_open', help: 'Connections this instance relays now for other instances, to nodes it holds.', registers: [this.registry] });
  private readonly peerBytes = new Counter({ name: 'burrow_peer_relayed_bytes_total', help: 'Bytes relayed over the peer link for other instances, by direction (up: peer to node).', labelNames: ['direction'] as const, registers: [this.registry] });
  private readonly openSessions = new Set<string>();

  constructor() {
    // Process metrics (CPU, memory, file descriptors) and Node's (event-loop lag, heap, GC).
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` rejects; the same counts
    // stay exposed by type as nodejs_active_handles and nodejs_active_requests.
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    for (const reason of ['replaced', 'server', 'link'] satisfies TunnelDisconnect[]) this.tunnelDisconnects.inc({ reason }, 0);
    for (const result of ['ok', 'denied']) for (const via of ['cli', 'console']) this.signIns.inc({ via, result }, 0);
    for (const direction of ['up', 'down']) this.peerBytes.inc({ direction }, 0);
  }

  /** Adds a gauge whose values are read when scraped (from the store or the registry of live nodes). */
  gaugeFromScrape<L extends string>(name: string, help: string, label: L, read: () => Promise<ReadonlyMap<string, number>>): void {
    new Gauge<L>({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [value, n] of await read()) this.set({ [label]: value } as Record<L, string>, n);
      },
    });
  }

  /** A tunnel was refused. */
  tunnelRefused(reason: TunnelRefusal): void {
    this.tunnelRefusals.inc({ reason });
  }

  /** A connected tunnel ended. */
  tunnelDisconnected(reason: TunnelDisconnect): void {
    this.tunnelDisconnects.inc({ reason });
  }

  /** A session finished opening after `seconds`. */
  sessionOpened(id: string, type: string, seconds: number): void {
    this.openSessions.add(id);
    this.sessionsOpen.set(this.openSessions.size);
    this.sessionsOpened.inc({ type: type === 'tcp' ? 'tcp' : 'http' });
    this.sessionOpenSeconds.observe(Math.max(0, seconds));
  }

  /** A session closed (also one closed while it was still opening, which never counted as open). */
  sessionClosed(id: string, reason: string, bytes: { bytesUp: number; bytesDown: number }): void {
    this.openSessions.delete(id);
    this.sessionsOpen.set(this.openSessions.size);
    this.sessionsClosed.inc({ reason: SESSION_CLOSE_REASONS.has(reason) ? reason : 'other' });
    this.bytesRelayed.inc({ direction: 'up' }, bytes.bytesUp);
    this.bytesRelayed.inc({ direction: 'down' }, bytes.bytesDown);
  }

  /** An API or console request was answered; sign-in routes also count as sign-ins. */
  requestAnswered(method: string, route: string, status: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    const signIn = signInOf(method, route, status);
    if (signIn) this.signIns.inc(signIn);
  }

  /** A peer relay opened (the peer link server reports it). */
  peerRelayOpened(): void {
    this.peerRelaysOpen.inc();
  }

  /** A peer relay closed. */
  peerRelayClosed(): void {
    this.peerRelaysOpen.dec();
  }

  /** Bytes went through a peer relay. */
  peerRelayedBytes(direction: 'up' | 'down', bytes: number): void {
    this.peerBytes.inc({ direction }, bytes);
  }

  /** A store operation took `seconds`. */
  storeQuery(op: StoreOp, seconds: number): void {
    this.storeSeconds.observe({ op }, seconds);
  }

  /** The exposition text, for a scrape. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * A sign-in as its routes answer it: the CLI's login, and the console's two steps (a
 * failed password step is a failed sign-in; only a passed TOTP step is a completed one).
 */
export function signInOf(method: string, route: string, status: number): { via: 'cli' | 'console'; result: 'ok' | 'denied' | 'throttled' | 'error' } | undefined {
  if (method !== 'POST') return undefined;
  const via = route === '/v1/auth/login' ? 'cli' : route === '/v1/auth/console/totp' || route === '/v1/auth/console/password' ? 'console' : undefined;
  if (!via) return undefined;
  if (status < 300) return route === '/v1/auth/console/password' ? undefined : { via, result: 'ok' };
  if (status === 429) return { via, result: 'throttled' };
  return { via, result: status >= 500 ? 'error' : 'denied' };
}
