import { EventEmitter } from 'node:events';
import tls from 'node:tls';
import { BurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { newId } from '../../shared/secrets.js';
import type { SessionView } from '../../shared/protocol.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import { StateMachine } from '../../shared/stateMachine.js';
import type { NodeHandle } from '../cluster/nodeDirectory.js';
import { recordAudit } from '../store/auditStore.js';
import { setSessionExpiry, type SessionRecord } from '../store/sessionStore.js';
import { RefusalLog } from '../refusalLog.js';
import { SessionAdmission, TOKEN_PARAM } from './sessionAdmission.js';
import { checkSessionLimits } from './sessionLimits.js';
import type { SessionListener, SessionListenerDeps } from './sessionListener.js';
import { listenOnRandomPort } from './sessionPorts.js';
import { TcpTickets } from './tcpProof.js';
import type { TcpTicketView } from '../../shared/tcpSessionProof.js';
import { sessionTransitions, type LiveSession, type SessionState } from './sessionLifecycle.js';
import { sessionOrigin, sessionView } from './sessionView.js';
import { createSessionPort, type SessionPortDeps } from './sessionPort.js';
import { auditSessionDenial } from './sessionDenials.js';
import { sessionTarget } from './sessionTarget.js';
import type { SessionManagerDeps, SessionRequest } from './sessionManagerDeps.js';
import { assertWithinBudget } from '../budget/nodeBudget.js';
import { approveSession } from './sessionApproval.js';
import { recordSessionClose, recordSessionOpen } from './sessionRecords.js';

export type { SessionLimits, SessionManagerDeps, SessionRequest } from './sessionManagerDeps.js';

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
    const { clock, limits } = this.deps;
    const { node, conn, type } = await sessionTarget(this.deps, req);
    await assertWithinBudget(this.deps.db, node, clock.now());
    // Checked and reserved in one synchronous step, so concurrent opens here cannot overshoot;
    // the store checks again, over every instance, when it records the session.
    checkSessionLimits(limits.concurrency, [...this.live.values()].map((s) => s.record), req);
    const id = newId('ses');
    const log = this.deps.log.child({ sessionId: id, nodeId: node.id });
    const approval = await approveSession(this.deps, node, req, id, type);
    // Time passed while the person on site decided: the limits are checked again.
    if (approval) checkSessionLimits(limits.concurrency, [...this.live.values()].map((s) => s.record), req);
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
    const session: LiveSession = { record, groupId: node.groupId, lifecycle: new StateMachine<SessionState>('opening', sessionTransitions, log), lastTouch: 0, settled, ...(approval ? { approval } : {}) };
    this.live.set(id, session);
    try {
      return await this.finishOpening(session, req, conn, log);
    } catch (err) {
      if (approval) this.deps.approvals?.end(node.id, approval, 'the session did not open');
      throw err;
    } finally {
      settle();
    }
  }

  /** Binds the session's port, records it and starts its timers; honours a close asked for meanwhile. */
  private async finishOpening(session: LiveSession, req: SessionRequest, conn: NodeHandle, log: Logger): Promise<SessionView> {
    const { db, registry, clock, limits } = this.deps;
    const { record } = session;
    const { id, nodeId, type } = record;
    const node = { id: nodeId, groupId: session.groupId };
    const admission = new SessionAdmission(id, req.sourceIp);
    try {
      const listenerDeps: SessionListenerDeps = {
        log,
        openUpstream: (origin) => {
          const current = registry.get(node.id);
          if (!current) return Promise.reject(new BurrowError('NODE_OFFLINE', 'The node is offline.'));
          return current.openService(req.service, session.approval ? { ...origin, approval: session.approval } : origin);
        },
        onDenied: (ip, reason) => auditSessionDenial(this.deps, { sessionId: id, nodeId: node.id, groupId: node.groupId, ip, reason }),
        onActivity: () => this.touch(id),
      };
      if (type === 'tcp' && !req.bare) session.tickets = new TcpTickets(clock);
      session.listener = createSessionPort(this.portDeps(), {
        record,
        openerIp: req.sourceIp,
        admission,
        target: conn.targets.get(req.service) ?? UNKNOWN_TARGET,
        publicOrigin: () => sessionOrigin(limits, id, record.port),
        ...(session.tickets ? { tickets: session.tickets } : {}),
      }, listenerDeps);
      const inUse = new Set([...this.live.values()].map((s) => s.record.port).filter((p) => p !== 0));
      record.port = await listenOnRandomPort(session.listener.server, { range: limits.range, host: limits.host, inUse });
      await recordSessionOpen(db, session, { concurrency: limits.concurrency, instanceId: this.deps.instanceId, userId: req.userId });
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
      await recordSessionClose(this.deps.db, s, { at, reason, actor, ...bytes });
    } finally {
      // The port is already free; the session must not linger in memory if the write failed.
      this.live.delete(id);
      s.lifecycle.transition('closed');
      Object.assign(s.record, { closedAt: at, closeReason: reason, ...bytes });
      // The node's grant ends with the session.
      if (s.approval) this.deps.approvals?.end(s.record.nodeId, s.approval, `the session closed (${reason})`);
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

  /** What every session port shares, with the certificate in force now. */
  private portDeps(): SessionPortDeps {
    const { clock, limits, proxyProtocol, accessLog } = this.deps;
    return {
      clock,
      tlsOptions: this.tlsOptions,
      maxConnectionsPerIp: limits.maxConnectionsPerIp ?? 64,
      headersTimeoutMs: limits.headersTimeoutMs ?? 30_000,
      hostOfItsOwn: limits.sessionDomain !== undefined,
      capRefusals: this.refusals,
      ...(proxyProtocol ? { proxyProtocol } : {}),
      ...(accessLog ? { accessLog } : {}),
    };
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
