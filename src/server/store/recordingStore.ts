import type { Queryable } from './database.js';

/** A terminal session's transcript, as stored. */
export interface RecordingRecord {
  id: string;
  nodeId: string;
  groupId: string;
  userId: string | null;
  startedAt: number;
  endedAt: number | null;
  bytes: number;
}

interface Row {
  id: string;
  node_id: string;
  group_id: string;
  user_id: string | null;
  started_at: number;
  ended_at: number | null;
  bytes: number;
}

/** Records that a transcript is being written. */
export async function insertRecording(q: Queryable, r: Omit<RecordingRecord, 'endedAt' | 'bytes'>): Promise<void> {
  await q.run('INSERT INTO recordings (id, node_id, group_id, user_id, started_at) VALUES (?,?,?,?,?)', [r.id, r.nodeId, r.groupId, r.userId, r.startedAt]);
}

/** Marks a transcript complete. */
export async function finishRecording(q: Queryable, id: string, endedAt: number, bytes: number): Promise<void> {
  await q.run('UPDATE recordings SET ended_at = ?, bytes = ? WHERE id = ?', [endedAt, bytes, id]);
}

/** One recording by id. */
export async function getRecording(q: Queryable, id: string): Promise<RecordingRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM recordings WHERE id = ?', [id]);
  return r && fromRow(r);
}

const fromRow = (r: Row): RecordingRecord => ({ id: r.id, nodeId: r.node_id, groupId: r.group_id, userId: r.user_id, startedAt: r.started_at, endedAt: r.ended_at, bytes: r.bytes });

/** A recording with the names people look for: its node's and its user's. */
export interface RecordingListing extends RecordingRecord {
  nodeName: string;
  userEmail: string | null;
}

/** Which recordings to list: newest first, at most `limit`, optionally of one node and within some groups. */
export interface RecordingFilter {
  nodeId?: string;
  /** Only recordings of nodes in these groups (undefined: all). */
  groupIds?: readonly string[];
  /** Only one user's recordings. */
  userId?: string;
  /** Started at or after / before these times (ms). */
  since?: number;
  until?: number;
  limit: number;
}

/** Recordings, newest first, with node names and user emails. */
export async function listRecordings(q: Queryable, f: RecordingFilter): Promise<RecordingListing[]> {
  if (f.groupIds?.length === 0) return [];
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.nodeId !== undefined) {
    where.push('r.node_id = ?');
    params.push(f.nodeId);
  }
  if (f.userId !== undefined) {
    where.push('r.user_id = ?');
    params.push(f.userId);
  }
  if (f.since !== undefined) {
    where.push('r.started_at >= ?');
    params.push(f.since);
  }
  if (f.until !== undefined) {
    where.push('r.started_at < ?');
    params.push(f.until);
  }
  if (f.groupIds !== undefined) {
    where.push(`r.group_id IN (${f.groupIds.map(() => '?').join(',')})`);
    params.push(...f.groupIds);
  }
  const rows = await q.all<Row & { node_name: string; user_email: string | null }>(
    `SELECT r.*, n.name AS node_name, u.email AS user_email FROM recordings r JOIN nodes n ON n.id = r.node_id LEFT JOIN users u ON u.id = r.user_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.started_at DESC, r.id DESC LIMIT ?`,
    [...params, f.limit],
  );
  return rows.map((r) => ({ ...fromRow(r), nodeName: r.node_name, userEmail: r.user_email }));
}

/** Whether terminal sessions on a group's nodes are recorded. */
export async function groupRecordsShell(q: Queryable, groupId: string): Promise<boolean> {
  const r = await q.get<{ record_shell: number }>('SELECT record_shell FROM groups WHERE id = ?', [groupId]);
  return (r?.record_shell ?? 1) === 1;
}

/** Switches recording of a group's terminal sessions on or off. */
export async function setGroupRecordsShell(q: Queryable, groupId: string, on: boolean): Promise<void> {
  await q.run('UPDATE groups SET record_shell = ? WHERE id = ?', [on ? 1 : 0, groupId]);
}
