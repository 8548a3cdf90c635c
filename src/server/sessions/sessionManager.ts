import { EventEmitter } from 'node:events';
import type tls from 'node:tls';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { newId } from '../../shared/secrets.js';
import type { SessionView } from '../../shared/protocol.js';
import { StateMachine } from '../../shared/stateMachine.js';
import type { NodeRegistry } from '../gateway/nodeRegistry.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { getNode } from '../store/nodeStore.js';
import { closeSessionRecord, insertSession, type SessionRecord } from '../store/sessionStore.js';
import { SessionRelay } from './sessionRelay.js';
import { listenOnRandomPort } from './sessionPorts.js';

/** How sessions are placed and how long they live. */
export interface SessionLimits {
  range: readonly [number, number];
  host: string;
  /** Host name put in session URLs. */
  publicHost: string;
  ttlMs: number;
  idleMs: number;
  /** How long a session survives its node being offline. */
  nodeGraceMs: number;
}

/** Dependencies of the session manager. */
export interface SessionManagerDeps {
  db: Database;
  registry: NodeRegistry;
  clock: Clock;
  log: Logger;
  tlsOptions: tls.TlsOptions;
  limits: SessionLimits;
}

type SessionState = 'opening' | 'open' | 'closing' | 'closed';
const transitions: Record<SessionState, SessionState[]> = {
  opening: ['open', 'closed'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

interface LiveSession {
  record: SessionRecord;
  groupId: string;
  relay: SessionRelay;
  lifecycle: StateMachine<SessionState>;
  ttlTimer?: TimerHandle;
  idleTimer?: TimerHandle;
  graceTimer?: TimerHandle;
}

/** Who asks for a session, and from where. */
export interface SessionRequest {
  nodeId: string;
  service: string;
  userId: string;
  sourceIp: string;
}

/**
 * Opens, tracks and closes WebUI sessions: one TLS port per session, bound at random in
 * the configured range, relaying to one service of one node.
 * Emits `opened` and `closed` (SessionView, groupId of its node) for live console updates.
 */
export class SessionManager extends EventEmitter {
  private readonly live = new Map<string, LiveSession>();

  constructor(private readonly deps: SessionManagerDeps) {
    super();
    deps.registry.on('offline', (nodeId: string) => this.onNodeOffline(nodeId));
    deps.registry.on('online', (nodeId: string) => this.onNodeOnline(nodeId));
  }

  /** Opens a session, or says clearly why not. */
  async open(req: SessionRequest): Promise<SessionView> {
    const { db, registry, clock, limits } = this.deps;
    const node = await getNode(db, req.nodeId);
    if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${req.nodeId}.`);
    if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}, not approved.`);
    const conn = registry.get(node.id);
    if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline; a session needs it connected.`);
    if (!conn.services.has(req.service)) {
      throw new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${node.name} does not offer the service "${req.service}".`);
    }
    const id = newId('ses');
    const log = this.deps.log.child({ sessionId: id, nodeId: node.id });
    const lifecycle = new StateMachine<SessionState>('opening', transitions, log);
    const relay = new SessionRelay({
      tlsOptions: this.deps.tlsOptions,
      allowedIp: req.sourceIp,
      log,
      openUpstream: (origin) => {
        const current = registry.get(node.id);
        if (!current) return Promise.reject(new BurrowError('NODE_OFFLINE', 'The node is offline.'));
        return current.openService(req.service, origin);
      },
      onDenied: (ip) => this.onDenied(id, node.id, node.groupId, ip),
      onActivity: () => this.touch(id),
    });
    const inUse = new Set([...this.live.values()].map((s) => s.record.port));
    const port = await listenOnRandomPort(relay.server, { range: limits.range, host: limits.host, inUse });
    const now = clock.now();
    const record: SessionRecord = {
      id,
      nodeId: node.id,
      userId: req.userId,
      service: req.service,
      port,
      sourceIp: req.sourceIp,
      openedAt: now,
      expiresAt: now + limits.ttlMs,
      closedAt: null,
      closeReason: null,
      bytesUp: 0,
      bytesDown: 0,
    };
    try {
      await db.transaction(async (tx) => {
        await insertSession(tx, record);
        await appendAudit(tx, {
          actor: req.userId,
          sourceIp: req.sourceIp,
          action: 'session.open',
          target: node.id,
          result: 'ok',
          groupId: node.groupId,
          detail: { sessionId: id, service: req.service, port },
        }, now);
      });
    } catch (err) {
      await relay.close();
      throw err;
    }
    const session: LiveSession = { record, relay, lifecycle, groupId: node.groupId };
    this.live.set(id, session);
    lifecycle.transition('open');
    session.ttlTimer = clock.setTimeout(() => void this.close(id, 'expired'), limits.ttlMs);
    this.touch(id);
    log.info({ port, service: req.service }, 'session open');
    const view = this.view(record);
    this.emit('opened', view, node.groupId);
    return view;
  }

  /** Closes a session and frees its port; idempotent. Returns false if it was not open. */
  async close(id: string, reason: string, actor = 'system'): Promise<boolean> {
    const s = this.live.get(id);
    if (!s || s.lifecycle.state !== 'open') return false;
    s.lifecycle.transition('closing');
    for (const t of [s.ttlTimer, s.idleTimer, s.graceTimer]) if (t) this.deps.clock.clearTimeout(t);
    await s.relay.close();
    const at = this.deps.clock.now();
    const bytes = { bytesUp: s.relay.bytesUp, bytesDown: s.relay.bytesDown };
    await this.deps.db.transaction(async (tx) => {
      await closeSessionRecord(tx, id, { at, reason, ...bytes });
      await appendAudit(tx, {
        actor,
        action: 'session.close',
        target: s.record.nodeId,
        result: 'ok',
        groupId: s.groupId,
        detail: { sessionId: id, reason, ...bytes, durationMs: at - s.record.openedAt },
      }, at);
    });
    this.live.delete(id);
    s.lifecycle.transition('closed');
    Object.assign(s.record, { closedAt: at, closeReason: reason, ...bytes });
    this.emit('closed', this.view(s.record), s.groupId);
    return true;
  }

  /** Pushes a session's absolute expiry out by another TTL from now. */
  extend(id: string): SessionView {
    const s = this.live.get(id);
    if (!s) throw new BurrowError('SESSION_CLOSED', `Session ${id} is closed; open a new one.`);
    const { clock, limits } = this.deps;
    if (s.ttlTimer) clock.clearTimeout(s.ttlTimer);
    s.record.expiresAt = clock.now() + limits.ttlMs;
    s.ttlTimer = clock.setTimeout(() => void this.close(id, 'expired'), limits.ttlMs);
    return this.view(s.record);
  }

  /** The live session with this id. */
  get(id: string): SessionRecord | undefined {
    return this.live.get(id)?.record;
  }

  /** Formats a session for the API. */
  view(r: SessionRecord): SessionView {
    return {
      id: r.id,
      nodeId: r.nodeId,
      service: r.service,
      port: r.port,
      url: `https://${this.deps.limits.publicHost}:${r.port}/`,
      state: r.closedAt === null ? 'open' : 'closed',
      openedAt: new Date(r.openedAt).toISOString(),
      expiresAt: new Date(r.expiresAt).toISOString(),
      closedAt: r.closedAt === null ? null : new Date(r.closedAt).toISOString(),
      closeReason: r.closeReason,
    };
  }

  /** Closes every session a user opened (logout, disablement). */
  async closeForUser(userId: string, reason: string): Promise<void> {
    const ids = [...this.live.values()].filter((s) => s.record.userId === userId).map((s) => s.record.id);
    await Promise.all(ids.map((id) => this.close(id, reason)));
  }

  /** Closes every session to a node (revocation). */
  async closeForNode(nodeId: string, reason: string): Promise<void> {
    const ids = [...this.live.values()].filter((s) => s.record.nodeId === nodeId).map((s) => s.record.id);
    await Promise.all(ids.map((id) => this.close(id, reason)));
  }

  /** Closes every session (server shutdown). */
  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.close(id, reason)));
  }

  private touch(id: string): void {
    const s = this.live.get(id);
    if (!s || s.lifecycle.state !== 'open') return;
    const { clock, limits } = this.deps;
    if (s.idleTimer) clock.clearTimeout(s.idleTimer);
    s.idleTimer = clock.setTimeout(() => void this.close(id, 'idle'), limits.idleMs);
  }

  private onDenied(sessionId: string, nodeId: string, groupId: string, ip: string): void {
    void recordAudit(this.deps.db, {
      actor: 'anonymous',
      sourceIp: ip,
      action: 'session.deny',
      target: nodeId,
      result: 'denied',
      groupId,
      detail: { sessionId, reason: 'source address not allowed' },
    }).catch((err: Error) => this.deps.log.warn({ err: err.message }, 'audit write failed'));
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
