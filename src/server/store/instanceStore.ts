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

/** Moves a live instance's heartbeat to `now`; false when it is no longer live (declared dead meanwhile). */
export async function beatInstance(q: Queryable, id: string, now: number): Promise<boolean> {
  return (await q.run("UPDATE instances SET heartbeat_at = ? WHERE id = ? AND state = 'live'", [now, id])).changes === 1;
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

/** Live instances other than `self` whose last heartbeat is before `before`. */
export async function silentInstances(q: Queryable, self: string, before: number): Promise<InstanceRecord[]> {
  return (await q.all<Row>("SELECT * FROM instances WHERE state = 'live' AND id <> ? AND heartbeat_at < ? ORDER BY id", [self, before])).map(toRecord);
}

/**
 * Moves a live instance to `state`; false when it was not live (another survivor, or the
 * instance itself, got there first). In a write transaction this is the claim that makes
 * exactly one survivor declare an instance dead.
 */
export async function endInstance(q: Queryable, id: string, state: 'dead' | 'stopped', before = Number.MAX_SAFE_INTEGER): Promise<boolean> {
  return (await q.run("UPDATE instances SET state = ? WHERE id = ? AND state = 'live' AND heartbeat_at < ?", [state, id, before])).changes === 1;
}
