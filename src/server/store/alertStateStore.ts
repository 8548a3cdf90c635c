import type { Queryable } from './database.js';

/** The state of one alert key (rule, subject). */
export interface AlertIncident {
  open: boolean;
  /** Whether the open incident was announced (not swallowed by the quiet period). */
  notified: boolean;
  openedAt: number;
  lastSentAt: number | null;
}

interface Row { open: number; notified: number; opened_at: number; last_sent_at: number | null }

/** The state of an alert key, if it ever fired. */
export async function getIncident(q: Queryable, ruleId: string, subject: string): Promise<AlertIncident | undefined> {
  const r = await q.get<Row>('SELECT open, notified, opened_at, last_sent_at FROM alert_incidents WHERE rule_id = ? AND subject = ?', [ruleId, subject]);
  return r && { open: Number(r.open) === 1, notified: Number(r.notified) === 1, openedAt: Number(r.opened_at), lastSentAt: r.last_sent_at === null ? null : Number(r.last_sent_at) };
}

/**
 * Opens the incident of a key unless it is open, in conditional writes only: of two
 * writers (two instances that both believe they lead) exactly one opens it. 'send' when
 * this writer opened it outside the quiet period (`quietMs` from the key's last send),
 * 'quiet' when it opened it within, 'already-open' when it was open (or another writer won).
 */
export async function openIncident(q: Queryable, ruleId: string, subject: string, quietMs: number, now: number): Promise<'send' | 'quiet' | 'already-open'> {
  const first = await q.run('INSERT INTO alert_incidents (rule_id, subject, open, notified, opened_at, last_sent_at) VALUES (?,?,1,1,?,?) ON CONFLICT (rule_id, subject) DO NOTHING', [ruleId, subject, now, now]);
  if (first.changes > 0) return 'send';
  const sent = await q.run('UPDATE alert_incidents SET open = 1, notified = 1, opened_at = ?, last_sent_at = ? WHERE rule_id = ? AND subject = ? AND open = 0 AND (last_sent_at IS NULL OR last_sent_at <= ?)', [now, now, ruleId, subject, now - quietMs]);
  if (sent.changes > 0) return 'send';
  const quiet = await q.run('UPDATE alert_incidents SET open = 1, notified = 0, opened_at = ? WHERE rule_id = ? AND subject = ? AND open = 0', [now, ruleId, subject]);
  return quiet.changes > 0 ? 'quiet' : 'already-open';
}

/** Closes the open incident of a key; true when this writer closed an announced one (of two writers, one). */
export async function resolveIncident(q: Queryable, ruleId: string, subject: string): Promise<boolean> {
  const announced = await q.run('UPDATE alert_incidents SET open = 0 WHERE rule_id = ? AND subject = ? AND open = 1 AND notified = 1', [ruleId, subject]);
  if (announced.changes > 0) return true;
  await q.run('UPDATE alert_incidents SET open = 0 WHERE rule_id = ? AND subject = ? AND open = 1', [ruleId, subject]);
  return false;
}

/**
 * Records a one-off event of a key at `at`; true when this writer may send it: the key last
 * sent before `at` and at least `quietMs` before. Two writers that hear of one event (with
 * one time) both try, and one wins; the same key twice in one millisecond sends once.
 */
export async function pulseIncident(q: Queryable, ruleId: string, subject: string, quietMs: number, at: number): Promise<boolean> {
  const first = await q.run('INSERT INTO alert_incidents (rule_id, subject, open, notified, opened_at, last_sent_at) VALUES (?,?,0,1,?,?) ON CONFLICT (rule_id, subject) DO NOTHING', [ruleId, subject, at, at]);
  if (first.changes > 0) return true;
  const sent = await q.run('UPDATE alert_incidents SET open = 0, notified = 1, opened_at = ?, last_sent_at = ? WHERE rule_id = ? AND subject = ? AND (last_sent_at IS NULL OR (last_sent_at < ? AND last_sent_at <= ?))', [at, at, ruleId, subject, at, at - quietMs]);
  return sent.changes > 0;
}

/** The keys of the open incidents of `ruleIds`. */
export async function openIncidents(q: Queryable, ruleIds: readonly string[]): Promise<{ ruleId: string; subject: string }[]> {
  if (ruleIds.length === 0) return [];
  const rows = await q.all<{ rule_id: string; subject: string }>(`SELECT rule_id, subject FROM alert_incidents WHERE open = 1 AND rule_id IN (${ruleIds.map(() => '?').join(',')})`, ruleIds);
  return rows.map((r) => ({ ruleId: r.rule_id, subject: r.subject }));
}

/** Where a reader of a growing table stopped, if it ever read. */
export async function getAlertCursor(q: Queryable, name: string): Promise<number | undefined> {
  const r = await q.get<{ position: number }>('SELECT position FROM alert_cursors WHERE name = ?', [name]);
  return r && Number(r.position);
}

/** Places a reader's cursor where a first run starts, unless it has one (a second leader starting never moves it). */
export async function placeAlertCursor(q: Queryable, name: string, position: number): Promise<void> {
  await q.run('INSERT INTO alert_cursors (name, position) VALUES (?,?) ON CONFLICT (name) DO NOTHING', [name, position]);
}

/**
 * Claims the rows after a reader's cursor: moves it from `from` to `to` (never back) and
 * answers true, or false when it is no longer at `from` because another instance read
 * those rows (and acts on them).
 */
export async function advanceAlertCursor(q: Queryable, name: string, from: number, to: number): Promise<boolean> {
  if (to < from) return false;
  return (await q.run('UPDATE alert_cursors SET position = ? WHERE name = ? AND position = ?', [to, name, from])).changes > 0;
}

/** An audit entry the alert engine reacts to. */
export interface AlertAuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  result: string;
  groupId: string | null;
  detail: Record<string, unknown>;
}

/** Failed job runs and refused sign-ins after `seq`, oldest first. */
export async function alertAuditSince(q: Queryable, seq: number, limit: number): Promise<AlertAuditRow[]> {
  const rows = await q.all<{ seq: number; at: number; actor: string; action: string; target: string | null; result: string; group_id: string | null; detail: string }>(
    "SELECT seq, at, actor, action, target, result, group_id, detail FROM audit_log WHERE seq > ? AND ((action = 'job.run' AND result = 'failed') OR (action = 'auth.login' AND result = 'denied') OR action IN ('node.budget.warning', 'node.budget.exceeded')) ORDER BY seq LIMIT ?",
    [seq, limit],
  );
  return rows.map((r) => ({ seq: Number(r.seq), at: Number(r.at), actor: r.actor, action: r.action, target: r.target, result: r.result, groupId: r.group_id, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** The newest audit sequence number and status row id: where a first run starts reading. */
export async function alertTailHeads(q: Queryable): Promise<{ audit: number; status: number }> {
  const a = await q.get<{ m: number | null }>('SELECT MAX(seq) AS m FROM audit_log');
  const s = await q.get<{ m: number | null }>('SELECT MAX(id) AS m FROM node_status');
  return { audit: Number(a?.m ?? 0), status: Number(s?.m ?? 0) };
}

/** Status reports stored after row `id`, oldest first. */
export async function alertStatusSince(q: Queryable, id: number, limit: number): Promise<{ id: number; nodeId: string; at: number; report: string }[]> {
  const rows = await q.all<{ id: number; node_id: string; at: number; report: string }>('SELECT id, node_id, at, report FROM node_status WHERE id > ? ORDER BY id LIMIT ?', [id, limit]);
  return rows.map((r) => ({ id: Number(r.id), nodeId: r.node_id, at: Number(r.at), report: r.report }));
}

/** Refused sign-ins since `since`. */
export async function countDeniedSignIns(q: Queryable, since: number): Promise<number> {
  const r = await q.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'auth.login' AND result = 'denied' AND at > ?", [since]);
  return Number(r?.n ?? 0);
}
