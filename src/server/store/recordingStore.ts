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
  return r && { id: r.id, nodeId: r.node_id, groupId: r.group_id, userId: r.user_id, startedAt: r.started_at, endedAt: r.ended_at, bytes: r.bytes };
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
