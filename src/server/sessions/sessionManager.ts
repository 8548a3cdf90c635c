import { EventEmitter } from 'node:events';
import tls from 'node:tls';
import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { newId } from '../../shared/secrets.js';
import type { SessionType, SessionView } from '../../shared/protocol.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import { StateMachine } from '../../shared/stateMachine.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import type { NodeRegistry } from '../gateway/nodeRegistry.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import { refuseInternalService } from './internalServiceRefusal.js';
import type { Database } from '../store/database.js';
import { getNode } from '../store/nodeStore.js';
import { closeSessionRecord, insertSession, setSessionExpiry, type SessionRecord } from '../store/sessionStore.js';
import { RefusalLog } from '../refusalLog.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import { ConnectionCap } from '../connectionCap.js';
import type { ProxyProtocol, ProxyProtocolGate } from '../proxyProtocol/proxyProtocolGate.js';
import { HttpSessionProxy } from './httpSessionProxy.js';
import { SessionAdmission, TOKEN_PARAM } from './sessionAdmission.js';
import { checkSessionLimits, type ConcurrencyLimits } from './sessionLimits.js';
import type { SessionListener, SessionListenerDeps } from './sessionListener.js';
import { listenOnRandomPort } from './sessionPorts.js';
import { logSessionConnections } from './sessionAccessLog.js';
import { TcpSessionRelay } from './tcpSessionRelay.js';
import { TcpProofRelay } from './tcpProofRelay.js';
import { TcpTickets } from './tcpProof.js';
import { BARE_WARNING, type TcpTicketView } from '../../shared/tcpSessionProof.js';
import { sessionTransitions, type LiveSession, type SessionState } from './sessionLifecycle.js';
import { sessionOrigin, sessionView } from './sessionView.js';
import { auditSessionDenial } from './sessionDenials.js';

/** How sessions are placed, how long they live and how many there may be. */
export interface SessionLimits {
  range: readonly [number, number];
  host: string;
  /** Host name put in session URLs (the console's). */
  publicHost: string;
  /** Each http session is served at `<label>.<sessionDomain>` when set. */
  sessionDomain?: string;
  ttlMs: number;
  idleMs: number;
  /** How long a session survives its node being offline. */
  nodeGraceMs: number;
  /** Connections one source address may hold open on one session port (default 64). */
  maxConnectionsPerIp?: number;
  /** Deadline for a request's headers on a session port (default 30 s). */
  headersTimeoutMs?: number;
  concurrency: ConcurrencyLimits;
}

/** Dependencies of the session manager. */
export interface SessionManagerDeps {
  db: Database;
  registry: NodeRegistry;
  clock: Clock;
  log: Logger;
  tlsOptions: tls.TlsOptions;
  limits: SessionLimits;
  /** Audits refused connections rate-limited per address; without it each is written as it comes. */
  denials?: DenialRecorder;
  /** PROXY protocol from listed balancers on session ports, so admission sees the real client. */
  proxyProtocol?: ProxyProtocol;
  /** Where a line per client connection of a session port goes; none when unset. */
  accessLog?: Logger;
}

/** Who asks for a session, and from where. */
export interface SessionRequest {
  nodeId: string;
  service: string;
  /** Absent: the type the service declared (`tcp://…` on the node), else http. */
  type?: SessionType;
  userId: string;
  sourceIp: string;
  /** A tcp session guarded by source address alone, without `burrow tcp`'s proof; only when asked for. */
  bare?: boolean;
}

/** Idle-timer resets closer together than this are skipped: a transfer touches per chunk. */
const TOUCH_EVERY_MS = 1_000;
/** Used when an older agent did not declare its targets: plain HTTP, Host left to the guess. */
const UNKNOWN_TARGET: ServiceTarget = { scheme: 'http', host: 'localhost', port: 80 };

/**
 * Opens, tracks and closes sessions: one port per session, bound at random in the
 * configured range, relaying to one service of one node.
 * Emits `opened` and `closed` (SessionView without its token, groupId of its node) for live console updates;
 * `closed` also carries the bytes relayed ({ bytesUp, bytesDown }) for metrics.
 */
export class SessionManager extends EventEmitter {
  private readonly live = new Map<string, LiveSession>();
  private readonly refusals: RefusalLog;
  /** The TLS options of new session ports; the certificate in them changes on a reload. */
  private tlsOptions: tls.TlsOptions;

  constructor(private readonly deps: SessionManagerDeps) {
    super();
    this.tlsOptions = deps.tlsOptions;
    this.refusals = new RefusalLog(deps.log, deps.clock, 'session connection refused: per-address cap reached');
    deps.registry.on('offline', (nodeId: string) => this.onNodeOffline(nodeId));
    deps.registry.on('online', (nodeId: string) => this.onNodeOnline(nodeId));
  }

  /**
   * Serves a renewed certificate on every session port from now on, open and future ones;
   * connections already made keep theirs, so no session drops.
   */
  setCertificate(pair: { cert: string; key: string }): void {
    this.tlsOptions = { ...this.tlsOptions, ...pair };
    for (const s of this.live.values()) {
      if (s.listener?.server instanceof tls.Server) s.listener.server.setSecureContext(pair);
      else s.listener?.setCertificate?.(pair);
    }
  }

  /** Opens a session, or says clearly why not. */
  async open(req: SessionRequest): Promise<SessionView> {
    const { db, registry, clock, limits } = this.deps;
    const node = await getNode(db, req.nodeId);
    if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${req.nodeId}.`);
    await refuseInternalService(this.deps, 'session.open', req, node);
    if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}, not approved.`);
    const conn = registry.get(node.id);
    if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline; a session needs it connected.`);
    if (!conn.services.has(req.service)) {
      throw new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${node.name} does not offer the service "${req.service}".`);
    }
    const type = req.type ?? conn.targets.get(req.service)?.type ?? 'http';
    if (req.bare && type !== 'tcp') throw new BurrowError('VALIDATION', 'Only a tcp session can be bare; add --type tcp.');
    // Checked and reserved in one synchronous step, so concurrent opens cannot overshoot.
    checkSessionLimits(limits.concurrency, [...this.live.values()].map((s) => s.record), req);
    const id = newId('ses');
    const log = this.deps.log.child({ sessionId: id, nodeId: node.id });
    const now = clock.now();
    const record: SessionRecord = {
      id, nodeId: node.id, userId: req.userId, service: req.service, type, port: 0, sourceIp: req.sourceIp,
      openedAt: now, expiresAt: now + limits.ttlMs, closedAt: null, closeReason: null, bytesUp: 0, bytesDown: 0,
      ...(req.bare ? { bare: true } : {}),
    };
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const session: LiveSession = { record, groupId: node.groupId, lifecycle: new StateMachine<SessionState>('opening', sessionTransitions, log), lastTouch: 0, settled };
    this.live.set(id, session);
    try {
      return await this.finishOpening(session, req, conn, log);
    } finally {
      settle();
    }
  }

  /** Binds the session's port, records it and starts its timers; honours a close asked for meanwhile. */
  private async finishOpening(session: LiveSession, req: SessionRequest, conn: NodeConnection, log: Logger): Promise<SessionView> {
    const { db, registry, clock, limits } = this.deps;
    const { record } = session;
    const { id, nodeId, type } = record;
    const node = { id: nodeId, groupId: session.groupId };
    const now = record.openedAt;
    const admission = new SessionAdmission(id, req.sourceIp);
    try {
      const listenerDeps: SessionListenerDeps = {
        log,
        openUpstream: (origin) => {
          const current = registry.get(node.id);
          if (!current) return Promise.reject(new BurrowError('NODE_OFFLINE', 'The node is offline.'));
          return current.openService(req.service, origin);
        },
        onDenied: (ip, reason) => auditSessionDenial(this.deps, { sessionId: id, nodeId: node.id, groupId: node.groupId, ip, reason }),
        onActivity: () => this.touch(id),
      };
      if (type === 'tcp' && !req.bare) session.tickets = new TcpTickets(clock);
      session.listener = session.tickets
        ? new TcpProofRelay({ ...listenerDeps, tlsOptions: this.deps.tlsOptions, clock, tickets: session.tickets })
        : type === 'tcp'
        ? new TcpSessionRelay({ ...listenerDeps, allowedIp: req.sourceIp })
        : new HttpSessionProxy({
          ...listenerDeps,
          tlsOptions: this.tlsOptions,
          headersTimeoutMs: limits.headersTimeoutMs ?? 30_000,
          clock,
          admission,
          target: conn.targets.get(req.service) ?? UNKNOWN_TARGET,
          publicOrigin: () => sessionOrigin(limits, id, record.port),
          hostOfItsOwn: limits.sessionDomain !== undefined,
        });
      new ConnectionCap(limits.maxConnectionsPerIp ?? 64, (ip, open) => this.refusals.refused(ip, open)).attach(session.listener.server);
      if (this.deps.accessLog) logSessionConnections(session.listener.server, { log: this.deps.accessLog, clock, sessionId: id, type });
      // Last, so that it runs first: the cap and the listener then see the client the header names.
      const gate = this.deps.proxyProtocol?.attach(session.listener.server, { watchUnlisted: type === 'tcp' });
      if (gate) session.listener = gated(session.listener, gate);
      const inUse = new Set([...this.live.values()].map((s) => s.record.port).filter((p) => p !== 0));
      record.port = await listenOnRandomPort(session.listener.server, { range: limits.range, host: limits.host, inUse });
      await db.transaction(async (tx) => {
        await insertSession(tx, record);
        await appendAudit(tx, {
          actor: req.userId,
          sourceIp: req.sourceIp,
          action: 'session.open',
          target: node.id,
          result: 'ok',
          groupId: node.groupId,
          detail: { sessionId: id, service: req.service, type, port: record.port, ...(req.bare ? { bare: true, warning: BARE_WARNING } : {}) },
        }, now);
      });
    } catch (err) {
      this.live.delete(id);
      session.lifecycle.transition('closed');
      await session.listener?.close();
      throw err;
    }
    session.lifecycle.transition('open');
    if (session.closeRequest) {
      const { reason, actor } = session.closeRequest;
      await this.close(id, reason, actor);
      throw new BurrowError('SESSION_CLOSED', `Session ${id} was closed while it was opening (${reason}).`);
    }
    session.ttlTimer = clock.setTimeout(() => void this.close(id, 'expired'), limits.ttlMs);
    this.touch(id);
    log.info({ port: record.port, service: req.service, type }, 'session open');
    // Broadcast before the one-time token is added: only the opener may see it.
    this.emit('opened', this.view(record), node.groupId);
    const view = this.view(record);
    if (type === 'http') view.url = `${sessionOrigin(limits, id, record.port)}/?${TOKEN_PARAM}=${admission.token}`;
    return view;
  }

  /** Closes a session (one still opening as soon as it is open) and frees its port; idempotent. Returns false if it was not open. */
  async close(id: string, reason: string, actor = 'system'): Promise<boolean> {
    const s = this.live.get(id);
    if (s?.lifecycle.state === 'opening') {
      // Its port and record are still being made: open() closes it as soon as they exist.
      s.closeRequest ??= { reason, actor };
      await s.settled;
      return s.record.closedAt !== null;
    }
    if (!s || s.lifecycle.state !== 'open') return false;
    s.lifecycle.transition('closing');
    for (const t of [s.ttlTimer, s.idleTimer, s.graceTimer]) if (t) this.deps.clock.clearTimeout(t);
    const listener = s.listener as SessionListener;
    await listener.close();
    const at = this.deps.clock.now();
    const bytes = { bytesUp: listener.bytesUp, bytesDown: listener.bytesDown };
    try {
      await this.deps.db.transaction(async (tx) => {
        await closeSessionRecord(tx, id, { at, reason, ...bytes });
        await appendAudit(tx, {
          actor,
          action: 'session.close',
          target: s.record.nodeId,
          result: 'ok',
          groupId: s.groupId,
          detail: { sessionId: id, reason, type: s.record.type, ...bytes, durationMs: at - s.record.openedAt },
        }, at);
      });
    } finally {
      // The port is already free; the session must not linger in memory if the write failed.
      this.live.delete(id);
      s.lifecycle.transition('closed');
      Object.assign(s.record, { closedAt: at, closeReason: reason, ...bytes });
    }
    this.emit('closed', this.view(s.record), s.groupId, bytes);
    return true;
  }

  /** Closes every session of a user (logout, account disabled). Returns how many closed. */
  async closeForUser(userId: string, reason: string): Promise<number> {
    return this.closeWhere((s) => s.record.userId === userId, reason);
  }

  /** Closes every session on a node (revocation). Returns how many closed. */
  async closeForNode(nodeId: string, reason: string): Promise<number> {
    return this.closeWhere((s) => s.record.nodeId === nodeId, reason);
  }

  /** Pushes a session's absolute expiry out by another TTL from now. */
  async extend(id: string): Promise<SessionView> {
    const s = this.live.get(id);
    if (!s || s.lifecycle.state !== 'open') throw new BurrowError('SESSION_CLOSED', `Session ${id} is closed; open a new one.`);
    const { clock, limits } = this.deps;
    const expiresAt = clock.now() + limits.ttlMs;
    await setSessionExpiry(this.deps.db, id, expiresAt);
    if (s.ttlTimer) clock.clearTimeout(s.ttlTimer);
    s.record.expiresAt = expiresAt;
    s.ttlTimer = clock.setTimeout(() => void this.close(id, 'expired'), limits.ttlMs);
    this.touch(id);
    return this.view(s.record);
  }

  /**
   * A one-time ticket for one `burrow tcp` connection to a tcp session: only for the user
   * who opened it, and only while it is open. Audited, as each one admits a connection.
   */
  async ticket(id: string, userId: string, sourceIp: string): Promise<TcpTicketView> {
    const s = this.live.get(id);
    if (!s || s.lifecycle.state !== 'open') throw new BurrowError('SESSION_CLOSED', `Session ${id} is closed; open a new one.`);
    if (s.record.userId !== userId) throw new BurrowError('FORBIDDEN', `Only the user who opened session ${id} can connect through it.`);
    if (!s.tickets) {
      throw new BurrowError('VALIDATION', `Session ${id} is ${s.record.bare ? 'a bare tcp' : 'an http'} session; only a tcp session opened without --bare takes burrow tcp.`);
    }
    const { ticket, expiresAt } = s.tickets.issue();
    await recordAudit(this.deps.db, {
      actor: userId, sourceIp, action: 'session.ticket', target: s.record.nodeId, result: 'ok', groupId: s.groupId, detail: { sessionId: id },
    }, this.deps.clock.now());
    return { ticket, expiresAt: new Date(expiresAt).toISOString(), host: this.deps.limits.publicHost, port: s.record.port, service: s.record.service };
  }

  /** The open session with this id. */
  get(id: string): SessionRecord | undefined {
    const s = this.live.get(id);
    return s?.lifecycle.state === 'open' ? s.record : undefined;
  }

  /** Formats a session for the API (never with its token). */
  view(r: SessionRecord): SessionView {
    return sessionView(r, this.deps.limits);
  }

  /** Closes every session (server shutdown). */
  async closeAll(reason: string): Promise<void> {
    this.refusals.close();
    await this.closeWhere(() => true, reason);
  }

  private async closeWhere(match: (s: LiveSession) => boolean, reason: string): Promise<number> {
    // Sessions still opening count too: a revoked node or a disabled user must not keep one.
    const ids = [...this.live.values()].filter((s) => (s.lifecycle.state === 'open' || s.lifecycle.state === 'opening') && match(s)).map((s) => s.record.id);
    const closed = await Promise.all(ids.map((id) => this.close(id, reason)));
    return closed.filter(Boolean).length;
  }

  private touch(id: string): void {
    const s = this.live.get(id);
    if (!s || s.lifecycle.state !== 'open') return;
    const { clock, limits } = this.deps;
    const now = clock.now();
    if (s.idleTimer && now - s.lastTouch < TOUCH_EVERY_MS) return;
    s.lastTouch = now;
    if (s.idleTimer) clock.clearTimeout(s.idleTimer);
    s.idleTimer = clock.setTimeout(() => void this.close(id, 'idle'), limits.idleMs);
  }

  private onNodeOffline(nodeId: string): void {
    for (const s of this.live.values()) {
      if (s.record.nodeId !== nodeId || s.lifecycle.state !== 'open') continue;
      s.graceTimer = this.deps.clock.setTimeout(() => void this.close(s.record.id, 'node-offline'), this.deps.limits.nodeGraceMs);
    }
  }

  private onNodeOnline(nodeId: string): void {
    for (const s of this.live.values()) {
      if (s.record.nodeId === nodeId && s.graceTimer) {
        this.deps.clock.clearTimeout(s.graceTimer);
        delete s.graceTimer;
      }
    }
  }
}

/** `listener`, whose close() also cuts the connections still waiting for their PROXY header. */
function gated(listener: SessionListener, gate: ProxyProtocolGate): SessionListener {
  return {
    server: listener.server,
    get bytesUp() {
      return listener.bytesUp;
    },
    get bytesDown() {
      return listener.bytesDown;
    },
    close() {
      gate.close();
      return listener.close();
    },
    setCertificate: listener.setCertificate?.bind(listener),
  };
}
