import type { Queryable } from './database.js';

/** Where a queued session request stands. */
export type SessionRequestState = 'queued' | 'opened' | 'cancelled' | 'expired' | 'failed';

/** A session request row mapped to its type. */
export interface SessionRequestRecord {
  id: string;
  nodeId: string;
  userId: string;
  service: string;
  sourceIp: string;
  requestedAt: number;
  expiresAt: number;
  state: SessionRequestState;
  sessionId: string | null;
  reason: string | null;
}

interface Row {
  id: string;
  node_id: string;
  user_id: string;
  service: string;
  source_ip: string;
  requested_at: number;
  expires_at: number;
  state: SessionRequestState;
  session_id: string | null;
  reason: string | null;
}

const toRecord = (r: Row): SessionRequestRecord => ({
  id: r.id,
  nodeId: r.node_id,
  userId: r.user_id,
  service: r.service,
  sourceIp: r.source_ip,
  requestedAt: r.requested_at,
  expiresAt: r.expires_at,
  state: r.state,
  sessionId: r.session_id,
  reason: r.reason,
});

/** Queues a request. */
export async function insertSessionRequest(q: Queryable, r: Omit<SessionRequestRecord, 'state' | 'sessionId' | 'reason'>): Promise<void> {
  await q.run(
    "INSERT INTO session_requests (id, node_id, user_id, service, source_ip, requested_at, expires_at, state) VALUES (?,?,?,?,?,?,?,'queued')",
    [r.id, r.nodeId, r.userId, r.service, r.sourceIp, r.requestedAt, r.expiresAt],
  );
}

/** One request by id. */
export async function getSessionRequest(q: Queryable, id: string): Promise<SessionRequestRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM session_requests WHERE id = ?', [id]);
  return r && toRecord(r);
}

/** Requests, newest first; only queued ones unless `all`. */
export async function listSessionRequests(q: Queryable, opts: { all?: boolean; nodeId?: string } = {}): Promise<SessionRequestRecord[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (!opts.all) where.push("state = 'queued'");
  if (opts.nodeId) {
    where.push('node_id = ?');
    params.push(opts.nodeId);
  }
  const sql = `SELECT * FROM session_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at DESC, id LIMIT 1000`;
  return (await q.all<Row>(sql, params)).map(toRecord);
}

/** Moves a queued request on; returns false if it was no longer queued (someone else won). */
export async function settleSessionRequest(
  q: Queryable,
  id: string,
  s: { state: Exclude<SessionRequestState, 'queued'>; at: number; sessionId?: string; reason?: string },
): Promise<boolean> {
  const r = await q.run("UPDATE session_requests SET state = ?, session_id = ?, reason = ?, updated_at = ? WHERE id = ? AND state = 'queued'", [
    s.state,
    s.sessionId ?? null,
    s.reason ?? null,
    s.at,
    id,
  ]);
  return r.changes === 1;
}
