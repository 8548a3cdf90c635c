import type { Queryable } from './database.js';

/** Where an instance stands: heartbeating, shut down cleanly, or declared dead by a survivor. */
export type InstanceState = 'live' | 'dead' | 'stopped';

/** One server instance's row. */
export interface InstanceRecord {
  id: string;
  peerUrl: string | null;
  startedAt: number;
  heartbeatAt: number;
  state: InstanceState;
}

interface Row {
  id: string;
  peer_url: string | null;
  started_at: number;
  heartbeat_at: number;
  state: InstanceState;
}

const toRecord = (r: Row): InstanceRecord => ({ id: r.id, peerUrl: r.peer_url, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, state: r.state });

/** Records an instance as live from `now` (a restarted instance keeps its id and row). */
export async function registerInstance(q: Queryable, i: { id: string; peerUrl: string | null; now: number }): Promise<void> {
  await q.run(
    "INSERT INTO instances (id, peer_url, started_at, heartbeat_at, state) VALUES (?, ?, ?, ?, 'live') ON CONFLICT (id) DO UPDATE SET peer_url = excluded.peer_url, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, state = 'live'",
    [i.id, i.peerUrl, i.now, i.now],
  );
}

/**
 * Moves a live instance's heartbeat to `now`; false when it is no longer live (declared dead
 * meanwhile). The value always changes (by a millisecond if `now` equals it, as after a clock
 * step back): survivors judge liveness by seeing it move, never by comparing it with their clock.
 */
export async function beatInstance(q: Queryable, id: string, now: number): Promise<boolean> {
  return (await q.run("UPDATE instances SET heartbeat_at = CASE WHEN heartbeat_at = ? THEN heartbeat_at + 1 ELSE ? END WHERE id = ? AND state = 'live'", [now, now, id])).changes === 1;
}

/** One instance by id. */
export async function getInstance(q: Queryable, id: string): Promise<InstanceRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM instances WHERE id = ?', [id]);
  return r && toRecord(r);
}

/** Every instance ever registered, oldest first. */
export async function listInstances(q: Queryable): Promise<InstanceRecord[]> {
  return (await q.all<Row>('SELECT * FROM instances ORDER BY started_at, id')).map(toRecord);
}

/** Live instances other than `self`, by id. */
export async function otherLiveInstances(q: Queryable, self: string): Promise<InstanceRecord[]> {
  return (await q.all<Row>("SELECT * FROM instances WHERE state = 'live' AND id <> ? ORDER BY id", [self])).map(toRecord);
}

/**
 * Moves a live instance to `state`; false when it was not live (another survivor, or the
 * instance itself, got there first) or, given `seenHeartbeat`, when its heartbeat is no longer
 * that value (it beat since). In a write transaction this is the claim that makes exactly one
 * survivor declare an instance dead, and only one that did not beat after the survivor looked.
 */
export async function endInstance(q: Queryable, id: string, state: 'dead' | 'stopped', seenHeartbeat?: number): Promise<boolean> {
  const sql = "UPDATE instances SET state = ? WHERE id = ? AND state = 'live'";
  const r = seenHeartbeat === undefined ? await q.run(sql, [state, id]) : await q.run(`${sql} AND heartbeat_at = ?`, [state, id, seenHeartbeat]);
  return r.changes === 1;
}
