import { randomBytes } from 'node:crypto';
import { conditionRuleSchema, type ConditionOrigin, type ConditionRule, type ConditionState } from '../../shared/conditions.js';
import type { Queryable } from './database.js';

/** An administrator's rule for a node, as stored. */
export interface NodeConditionRuleRecord {
  rule: ConditionRule;
  createdBy: string | null;
  createdAt: number;
}

/** A state a node reported, and when the server received it. */
export interface ConditionStateRecord extends ConditionState {
  nodeId: string;
  reportedAt: number;
}

/** One change of a rule's state. */
export interface ConditionChangeRecord {
  name: string;
  origin: ConditionOrigin;
  state: ConditionState['state'];
  value: number | null;
  detail: string;
  at: number;
}

const num = (v: string | null) => (v === null ? null : Number(v));
const text = (v: number | null) => (v === null ? null : String(v));

/** The rules administrators defined for a node, by name. */
export async function listNodeConditionRules(q: Queryable, nodeId: string): Promise<NodeConditionRuleRecord[]> {
  const rows = await q.all<{ spec: string; created_by: string | null; created_at: number }>('SELECT spec, created_by, created_at FROM node_conditions WHERE node_id = ? ORDER BY name', [nodeId]);
  // A rule stored by an older schema that no longer parses is left out rather than sent broken.
  return rows.flatMap((r) => {
    const parsed = conditionRuleSchema.safeParse(JSON.parse(r.spec));
    return parsed.success ? [{ rule: parsed.data, createdBy: r.created_by, createdAt: Number(r.created_at) }] : [];
  });
}

/** Adds or replaces an administrator's rule on a node. */
export async function putNodeConditionRule(q: Queryable, nodeId: string, rule: ConditionRule, createdBy: string | null, at: number): Promise<void> {
  await q.run(
    'INSERT INTO node_conditions (node_id, name, spec, created_by, created_at) VALUES (?,?,?,?,?) ON CONFLICT (node_id, name) DO UPDATE SET spec = excluded.spec, created_by = excluded.created_by, created_at = excluded.created_at',
    [nodeId, rule.name, JSON.stringify(rule), createdBy, at],
  );
}

/** Removes an administrator's rule; false when there was none of that name. */
export async function deleteNodeConditionRule(q: Queryable, nodeId: string, name: string): Promise<boolean> {
  return (await q.run('DELETE FROM node_conditions WHERE node_id = ? AND name = ?', [nodeId, name])).changes > 0;
}

interface StateRow {
  node_id: string;
  origin: ConditionOrigin;
  name: string;
  kind: ConditionState['kind'];
  state: ConditionState['state'];
  value: string | null;
  since: number;
  detail: string;
  reported_at: number;
}

const stateOf = (r: StateRow): ConditionStateRecord => ({
  nodeId: r.node_id,
  name: r.name,
  origin: r.origin,
  kind: r.kind,
  state: r.state,
  value: num(r.value),
  since: new Date(Number(r.since)).toISOString(),
  detail: r.detail,
  reportedAt: Number(r.reported_at),
});

/** The states a node last reported, by name. */
export async function listConditionStates(q: Queryable, nodeId: string): Promise<ConditionStateRecord[]> {
  const rows = await q.all<StateRow>('SELECT * FROM node_condition_states WHERE node_id = ? ORDER BY name, origin', [nodeId]);
  return rows.map(stateOf);
}

/** States of every node received at or after `since`, oldest first (what the alert engine reads). */
export async function conditionStatesReportedSince(q: Queryable, since: number, limit: number): Promise<ConditionStateRecord[]> {
  const rows = await q.all<StateRow>('SELECT * FROM node_condition_states WHERE reported_at >= ? ORDER BY reported_at LIMIT ?', [since, limit]);
  return rows.map(stateOf);
}

/** The states stamped in [from, to), newest first: those a reader may have passed over. */
export async function conditionStatesReportedBetween(q: Queryable, from: number, to: number, limit: number): Promise<ConditionStateRecord[]> {
  const rows = await q.all<StateRow>('SELECT * FROM node_condition_states WHERE reported_at >= ? AND reported_at < ? ORDER BY reported_at DESC LIMIT ?', [from, to, limit]);
  return rows.map(stateOf);
}

/**
 * Replaces a node's states with those it reported now (nothing is written when they are
 * what is stored) and records in its history each rule whose state changed (or that is
 * new), keeping the newest `keep` changes per node. Returns the changes recorded.
 */
export async function recordConditionStates(q: Queryable, nodeId: string, states: readonly ConditionState[], now: number, keep: number): Promise<number> {
  const stored = await listConditionStates(q, nodeId);
  const before = new Map(stored.map((s) => [`${s.origin}|${s.name}`, s]));
  // A report that repeats what is stored writes nothing (and so wakes no alert reader).
  const same = (a: ConditionState, b: ConditionState | undefined) => b !== undefined && a.kind === b.kind && a.state === b.state && a.since === b.since && a.value === b.value && a.detail === b.detail;
  if (stored.length === states.length && states.every((s) => same(s, before.get(`${s.origin}|${s.name}`)))) return 0;
  await q.run('DELETE FROM node_condition_states WHERE node_id = ?', [nodeId]);
  let changes = 0;
  const seen = new Set<string>();
  for (const s of states) {
    const key = `${s.origin}|${s.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const since = Date.parse(s.since);
    await q.run('INSERT INTO node_condition_states (node_id, origin, name, kind, state, value, since, detail, reported_at) VALUES (?,?,?,?,?,?,?,?,?)', [nodeId, s.origin, s.name, s.kind, s.state, text(s.value), since, s.detail, now]);
    const old = before.get(key);
    if (old && old.state === s.state && old.since === s.since) continue;
    const id = `${String(now).padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
    await q.run('INSERT INTO node_condition_history (id, node_id, origin, name, state, value, detail, at) VALUES (?,?,?,?,?,?,?,?)', [id, nodeId, s.origin, s.name, s.state, text(s.value), s.detail, now]);
    changes++;
  }
  if (changes > 0) {
    await q.run('DELETE FROM node_condition_history WHERE node_id = ? AND id NOT IN (SELECT id FROM node_condition_history WHERE node_id = ? ORDER BY id DESC LIMIT ?)', [nodeId, nodeId, keep]);
  }
  return changes;
}

/** A node's newest state changes, newest first. */
export async function listConditionHistory(q: Queryable, nodeId: string, limit: number): Promise<ConditionChangeRecord[]> {
  const rows = await q.all<{ origin: ConditionOrigin; name: string; state: ConditionState['state']; value: string | null; detail: string; at: number }>(
    'SELECT origin, name, state, value, detail, at FROM node_condition_history WHERE node_id = ? ORDER BY id DESC LIMIT ?',
    [nodeId, limit],
  );
  return rows.map((r) => ({ name: r.name, origin: r.origin, state: r.state, value: num(r.value), detail: r.detail, at: Number(r.at) }));
}
