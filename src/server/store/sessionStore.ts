import type { Queryable } from './database.js';

/** A WebUI session row. */
export interface SessionRecord {
  id: string;
  nodeId: string;
  userId: string | null;
  service: string;
  type: 'http' | 'tcp';
  port: number;
  sourceIp: string;
  openedAt: number;
  expiresAt: number;
  closedAt: number | null;
  closeReason: string | null;
  bytesUp: number;
  bytesDown: number;
  /** A tcp session guarded by source address alone; known while it is open (not stored). */
  bare?: boolean;
}

interface Row {
  id: string;
  node_id: string;
  user_id: string | null;
  service: string;
  type: 'http' | 'tcp';
  port: number;
  source_ip: string;
  opened_at: number;
  expires_at: number;
  closed_at: number | null;
  close_reason: string | null;
  bytes_up: number;
  bytes_down: number;
}

const toRecord = (r: Row): SessionRecord => ({
  id: r.id,
  nodeId: r.node_id,
  userId: r.user_id,
  service: r.service,
  type: r.type,
  port: r.port,
  sourceIp: r.source_ip,
  openedAt: r.opened_at,
  expiresAt: r.expires_at,
  closedAt: r.closed_at,
  closeReason: r.close_reason,
  bytesUp: r.bytes_up,
  bytesDown: r.bytes_down,
});

/** Records a session that just opened on the instance `instanceId` (the one that bound its port). */
export async function insertSession(q: Queryable, s: Omit<SessionRecord, 'closedAt' | 'closeReason' | 'bytesUp' | 'bytesDown'>, instanceId: string): Promise<void> {
  await q.run(
    'INSERT INTO sessions (id, node_id, user_id, service, type, port, source_ip, opened_at, expires_at, instance_id) VALUES (?,?,?,?,?,?,?,?,?,?)',
    [s.id, s.nodeId, s.userId, s.service, s.type, s.port, s.sourceIp, s.openedAt, s.expiresAt, instanceId],
  );
}

/**
 * How many sessions are open in the store, over every instance of the deployment: in all,
 * of one user, and on one node. Read inside the write transaction that records a new
 * session, so two instances opening at once cannot both take the last place.
 */
export async function countOpenSessions(q: Queryable, want: { userId: string; nodeId: string }): Promise<{ total: number; user: number; node: number }> {
  const r = await q.get<{ total: number; user_n: number | null; node_n: number | null }>(
    'SELECT COUNT(*) AS total, SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END) AS user_n, SUM(CASE WHEN node_id = ? THEN 1 ELSE 0 END) AS node_n FROM sessions WHERE closed_at IS NULL',
    [want.userId, want.nodeId],
  );
  return { total: Number(r?.total ?? 0), user: Number(r?.user_n ?? 0), node: Number(r?.node_n ?? 0) };
}

/** Marks a session closed with why and how many bytes it relayed. */
export async function closeSessionRecord(
  q: Queryable,
  id: string,
  c: { at: number; reason: string; bytesUp: number; bytesDown: number },
): Promise<void> {
  await q.run('UPDATE sessions SET closed_at = ?, close_reason = ?, bytes_up = ?, bytes_down = ? WHERE id = ? AND closed_at IS NULL', [
    c.at,
    c.reason,
    c.bytesUp,
    c.bytesDown,
    id,
  ]);
}

/** One session by id. */
export async function getSession(q: Queryable, id: string): Promise<SessionRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM sessions WHERE id = ?', [id]);
  return r && toRecord(r);
}

/** Sessions, newest first; only open ones unless `all`. */
export async function listSessions(q: Queryable, opts: { all?: boolean } = {}): Promise<SessionRecord[]> {
  const where = opts.all ? '' : 'WHERE closed_at IS NULL';
  return (await q.all<Row>(`SELECT * FROM sessions ${where} ORDER BY opened_at DESC LIMIT 1000`)).map(toRecord);
}

/**
 * Closes every session the previous run of instance `instanceId` left open: their ports
 * died with it. Other instances' sessions are theirs to keep; sessions from before
 * instances were recorded (no instance) came from the single server there was.
 * Returns how many were closed.
 */
export async function closeOrphanSessions(q: Queryable, at: number, instanceId: string): Promise<number> {
  return (await q.run("UPDATE sessions SET closed_at = ?, close_reason = 'server-restart' WHERE closed_at IS NULL AND (instance_id = ? OR instance_id IS NULL)", [at, instanceId])).changes;
}

/** Closes the open sessions of an instance declared dead, with reason `instance-lost`; returns how many. */
export async function closeInstanceSessions(q: Queryable, at: number, instanceId: string): Promise<number> {
  return (await q.run("UPDATE sessions SET closed_at = ?, close_reason = 'instance-lost' WHERE closed_at IS NULL AND instance_id = ?", [at, instanceId])).changes;
}

/** Moves a session's absolute expiry. */
export async function setSessionExpiry(q: Queryable, id: string, expiresAt: number): Promise<void> {
  await q.run('UPDATE sessions SET expires_at = ? WHERE id = ?', [expiresAt, id]);
}
