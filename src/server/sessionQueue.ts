import type { Clock } from '../shared/clock.js';
import { BurrowError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { SessionRequestView, SessionView } from '../shared/protocol.js';
import { newId } from '../shared/secrets.js';
import type { NodeDirectory } from './cluster/nodeDirectory.js';
import { waitForService } from './gateway/waitForService.js';
import { refuseInternalService } from './sessions/internalServiceRefusal.js';
import { roleAtLeast, roleOn } from './auth/access.js';
import type { AuthorityEndReason } from './auth/authorityBus.js';
import { GroupTree } from './auth/groupTree.js';
import { appendAudit } from './store/auditStore.js';
import { listGroups } from './store/groupStore.js';
import { getUser, listGrants } from './store/userStore.js';
import type { Database } from './store/database.js';
import { getNode } from './store/nodeStore.js';
import { getSessionRequest, insertSessionRequest, listSessionRequests, settleSessionRequest, type SessionRequestRecord } from './store/sessionRequestStore.js';

/** Who asks for a session on which node service, and from where. */
export interface QueueRequest {
  nodeId: string;
  service: string;
  userId: string;
  sourceIp: string;
}

/** What the queue needs from the session manager. */
export interface SessionOpener {
  // Properties, not methods, so the compiler checks the parameters strictly.
  open: (req: QueueRequest & { type: 'http' }) => Promise<SessionView>;
  close: (id: string, reason: string) => Promise<boolean>;
}

/** Dependencies of the queue. */
export interface SessionQueueDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** The online nodes of every instance; queued sessions open on the instance the node checks in at. */
  registry: NodeDirectory;
  sessions: SessionOpener;
  /** How long a request waits for its node before it expires. */
  maxWaitMs: number;
  /** How long a node that just connected has to announce a queued request's service (default 3 s). */
  serviceWaitMs?: number;
  /** Looks up an opened session's current view. */
  viewSession: (sessionId: string) => Promise<SessionView | null>;
}

/**
 * Sessions requested for an on-demand node that is away: queued with the node's expected
 * check-in, opened in order when it connects (for the requester's address, as if asked
 * then), cancellable until then, expired after `maxWaitMs`.
 */
export class SessionQueue {
  /**
   * The first URL of each session opened from the queue, with its one-time token: shown
   * only to the person who asked, and kept in memory only (the port dies with the process).
   */
  private readonly entryUrls = new Map<string, string>();

  constructor(private readonly deps: SessionQueueDeps) {
    deps.registry.on('online', (nodeId: string) => {
      // Every instance hears of the node; the one holding its tunnel opens, so each request opens once.
      if (deps.registry.isOnline(nodeId) && !deps.registry.holds(nodeId)) return;
      this.openQueued(nodeId).catch((err: Error) => deps.log.warn({ nodeId, err: err.message }, 'could not open queued sessions'));
    });
  }

  /** Opens at once if the node is here; queues if it is an on-demand node that is away. */
  async request(req: QueueRequest): Promise<SessionRequestView> {
    const { db, clock } = this.deps;
    const node = await getNode(db, req.nodeId);
    if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${req.nodeId}.`);
    await refuseInternalService(this.deps, 'session.queue', req, node);
    if (this.deps.registry.isOnline(node.id) || node.mode !== 'on-demand') {
      const session = await this.deps.sessions.open({ ...req, type: 'http' });
      const now = clock.now();
      return { id: session.id, nodeId: node.id, service: req.service, state: 'opened', requestedAt: iso(now), expectedAt: null, expiresAt: session.expiresAt, session, reason: null };
    }
    if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}, not approved.`);
    const now = clock.now();
    const record = { id: newId('sqr'), nodeId: node.id, userId: req.userId, service: req.service, sourceIp: req.sourceIp, requestedAt: now, expiresAt: now + this.deps.maxWaitMs };
    await db.transaction(async (tx) => {
      await insertSessionRequest(tx, record);
      await appendAudit(tx, { actor: req.userId, sourceIp: req.sourceIp, action: 'session.queue', target: node.id, result: 'ok', detail: { requestId: record.id, service: req.service } }, now);
    });
    return this.view({ ...record, state: 'queued', sessionId: null, reason: null });
  }

  /** Cancels a queued request; only its requester or an admin may. */
  async cancel(id: string, actor: { userId: string; isAdmin: boolean; sourceIp: string }): Promise<SessionRequestView> {
    const r = await getSessionRequest(this.deps.db, id);
    if (!r || (!actor.isAdmin && r.userId !== actor.userId)) throw new BurrowError('SESSION_NOT_FOUND', `No session request ${id}.`);
    if (r.state !== 'queued') throw new BurrowError('CONFLICT', `Session request ${id} is ${r.state}, no longer queued.`);
    const now = this.deps.clock.now();
    let won = false;
    await this.deps.db.transaction(async (tx) => {
      won = await settleSessionRequest(tx, id, { state: 'cancelled', at: now, reason: 'cancelled by user' });
      if (won) await appendAudit(tx, { actor: actor.userId, sourceIp: actor.sourceIp, action: 'session.queue.cancel', target: r.nodeId, result: 'ok', detail: { requestId: id } }, now);
    });
    if (!won) throw new BurrowError('CONFLICT', `Session request ${id} was settled meanwhile.`);
    return this.view({ ...r, state: 'cancelled', reason: 'cancelled by user' });
  }

  /**
   * Ends a request whose requester lost the authority for it: cancelled while it waits,
   * its session closed once opened.
   */
  async endRequest(id: string, reason: string): Promise<void> {
    const r = await getSessionRequest(this.deps.db, id);
    if (r?.state === 'queued') await this.settle(r, { state: 'cancelled', at: this.deps.clock.now(), reason });
    else if (r?.state === 'opened' && r.sessionId) await this.deps.sessions.close(r.sessionId, reason);
  }

  /** Whether a request still waits, or its session is still open. */
  async isLive(id: string): Promise<boolean> {
    const r = await getSessionRequest(this.deps.db, id);
    if (r?.state === 'queued') return true;
    if (r?.state !== 'opened' || !r.sessionId) return false;
    return (await this.deps.viewSession(r.sessionId))?.state === 'open';
  }

  /** Whether requests wait for this node (work that keeps an on-demand node connected). */
  async hasQueued(nodeId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    return (await listSessionRequests(this.deps.db, { nodeId })).some((r) => r.expiresAt > now);
  }

  /** One request as the API shows it; its requester also gets the session's entry URL. */
  async get(id: string, viewerId?: string): Promise<SessionRequestView | undefined> {
    const r = await getSessionRequest(this.deps.db, id);
    return r && this.view(r, viewerId);
  }

  /** Requests as the API lists them. */
  async list(all: boolean, viewerId?: string): Promise<SessionRequestView[]> {
    return Promise.all((await listSessionRequests(this.deps.db, { all })).map((r) => this.view(r, viewerId)));
  }

  private async openQueued(nodeId: string): Promise<void> {
    const { db, clock, log } = this.deps;
    const queued = (await listSessionRequests(db, { nodeId })).reverse();
    for (const r of queued) {
      const now = clock.now();
      if (r.expiresAt <= now) {
        await this.settle(r, { state: 'expired', at: now, reason: 'the node did not check in in time' });
        continue;
      }
      const refused = await this.requesterRefused(r.userId, nodeId);
      if (refused) {
        await this.settle(r, { state: 'cancelled', at: now, reason: refused });
        continue;
      }
      // Its services are announced just after it connects: wait for this one, not a fixed time.
      const conn = this.deps.registry.get(nodeId);
      if (!conn) return;
      await waitForService(conn, r.service, this.deps.serviceWaitMs ?? 3_000, clock);
      try {
        // Queued sessions are browser sessions: a raw TCP port is opened on the spot or not at all.
        const session = await this.deps.sessions.open({ nodeId, service: r.service, type: 'http', userId: r.userId, sourceIp: r.sourceIp });
        this.entryUrls.set(r.id, session.url);
        await this.settle(r, { state: 'opened', at: clock.now(), sessionId: session.id });
        log.info({ requestId: r.id, sessionId: session.id, nodeId }, 'queued session opened');
      } catch (err) {
        const e = err as BurrowError;
        // Offline again already: leave it queued for the next check-in.
        if (e.code === 'NODE_OFFLINE') return;
        await this.settle(r, { state: 'failed', at: clock.now(), reason: e.message });
      }
    }
  }

  /**
   * Why the requester may no longer have the session, if so: the account disabled or the
   * operator role on the node's group gone since the request (across a restart as well,
   * when nothing in memory holds the request any more).
   */
  private async requesterRefused(userId: string, nodeId: string): Promise<AuthorityEndReason | undefined> {
    const { db } = this.deps;
    const [user, node, grants, groups] = await Promise.all([getUser(db, userId), getNode(db, nodeId), listGrants(db, userId), listGroups(db)]);
    if (!user || user.disabled) return 'user-disabled';
    const role = node && roleOn({ grants, scope: 'admin', limitGroupId: null }, new GroupTree(groups), node.groupId);
    return role && roleAtLeast(role, 'operator') ? undefined : 'grant-removed';
  }

  private async settle(r: SessionRequestRecord, s: Parameters<typeof settleSessionRequest>[2]): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      if (await settleSessionRequest(tx, r.id, s)) {
        await appendAudit(tx, { actor: 'system', action: `session.queue.${s.state}`, target: r.nodeId, result: s.state === 'failed' ? 'failed' : 'ok', detail: { requestId: r.id, sessionId: s.sessionId ?? null, reason: s.reason ?? null } }, s.at);
      }
    });
  }

  private async view(r: SessionRequestRecord, viewerId?: string): Promise<SessionRequestView> {
    const node = await getNode(this.deps.db, r.nodeId);
    const session = r.sessionId ? await this.deps.viewSession(r.sessionId) : null;
    const entryUrl = this.entryUrls.get(r.id);
    if (session && entryUrl && viewerId === r.userId && session.state === 'open') session.url = entryUrl;
    return {
      id: r.id,
      nodeId: r.nodeId,
      service: r.service,
      state: r.state,
      requestedAt: iso(r.requestedAt),
      expectedAt: r.state === 'queued' && node?.nextCheckInAt ? iso(node.nextCheckInAt) : null,
      expiresAt: iso(r.expiresAt),
      session,
      reason: r.reason,
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
