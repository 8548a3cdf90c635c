import { BARE_WARNING } from '../../shared/tcpSessionProof.js';
import { appendAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { closeSessionRecord, countOpenSessions, insertSession, type SessionRecord } from '../store/sessionStore.js';
import { checkSessionCounts, type ConcurrencyLimits } from './sessionLimits.js';

/** A session as the store keeps it, with the group its node belongs to (for the audit). */
export interface RecordedSession {
  record: SessionRecord;
  groupId: string;
}

/**
 * Writes a session that just bound its port, with its `session.open` audit entry by the
 * user who opened it. The limits are checked again inside the same transaction, over every
 * instance's sessions.
 */
export async function recordSessionOpen(db: Database, s: RecordedSession, o: { concurrency: ConcurrencyLimits; instanceId: string; userId: string }): Promise<void> {
  const { record } = s;
  await db.transaction(async (tx) => {
    checkSessionCounts(o.concurrency, await countOpenSessions(tx, { userId: o.userId, nodeId: record.nodeId }));
    await insertSession(tx, record, o.instanceId);
    const detail = { sessionId: record.id, service: record.service, type: record.type, port: record.port, ...(record.bare ? { bare: true, warning: BARE_WARNING } : {}) };
    await appendAudit(tx, { actor: o.userId, sourceIp: record.sourceIp, action: 'session.open', target: record.nodeId, result: 'ok', groupId: s.groupId, detail }, record.openedAt);
  });
}

/** Writes a session's end, the bytes it relayed and its `session.close` audit entry. */
export async function recordSessionClose(db: Database, s: RecordedSession, end: { at: number; reason: string; actor: string; bytesUp: number; bytesDown: number }): Promise<void> {
  const { at, reason, actor, bytesUp, bytesDown } = end;
  await db.transaction(async (tx) => {
    await closeSessionRecord(tx, s.record.id, { at, reason, bytesUp, bytesDown });
    await appendAudit(tx, {
      actor,
      action: 'session.close',
      target: s.record.nodeId,
      result: 'ok',
      groupId: s.groupId,
      detail: { sessionId: s.record.id, reason, type: s.record.type, bytesUp, bytesDown, durationMs: at - s.record.openedAt },
    }, at);
  });
}
