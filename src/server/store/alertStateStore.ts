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

/** Writes the state of an alert key. */
export async function putIncident(q: Queryable, ruleId: string, subject: string, s: AlertIncident): Promise<void> {
  await q.run(
    'INSERT INTO alert_incidents (rule_id, subject, open, notified, opened_at, last_sent_at) VALUES (?,?,?,?,?,?) ON CONFLICT (rule_id, subject) DO UPDATE SET open = excluded.open, notified = excluded.notified, opened_at = excluded.opened_at, last_sent_at = excluded.last_sent_at',
    [ruleId, subject, s.open ? 1 : 0, s.notified ? 1 : 0, s.openedAt, s.lastSentAt],
  );
}

/** Where a reader of a growing table stopped, if it ever read. */
export async function getAlertCursor(q: Queryable, name: string): Promise<number | undefined> {
  const r = await q.get<{ position: number }>('SELECT position FROM alert_cursors WHERE name = ?', [name]);
  return r && Number(r.position);
}

/** Records where a reader stopped. */
export async function setAlertCursor(q: Queryable, name: string, position: number): Promise<void> {
  await q.run('INSERT INTO alert_cursors (name, position) VALUES (?,?) ON CONFLICT (name) DO UPDATE SET position = excluded.position', [name, position]);
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
