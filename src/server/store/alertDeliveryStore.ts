import type { Queryable } from './database.js';

/** One alert to one channel, and how its delivery went. */
export interface AlertDeliveryRecord {
  id: string;
  groupId: string;
  channelId: string;
  ruleId: string | null;
  event: string;
  subject: string | null;
  summary: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row { id: string; group_id: string; channel_id: string; rule_id: string | null; event: string; subject: string | null; summary: string; status: AlertDeliveryRecord['status']; attempts: number; last_error: string | null; created_at: number; updated_at: number }

const toRecord = (r: Row): AlertDeliveryRecord => ({
  id: r.id,
  groupId: r.group_id,
  channelId: r.channel_id,
  ruleId: r.rule_id,
  event: r.event,
  subject: r.subject,
  summary: r.summary,
  status: r.status,
  attempts: Number(r.attempts),
  lastError: r.last_error,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Logs a new delivery. */
export async function insertAlertDelivery(q: Queryable, d: AlertDeliveryRecord): Promise<void> {
  await q.run(
    'INSERT INTO alert_deliveries (id, group_id, channel_id, rule_id, event, subject, summary, status, attempts, last_error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
    [d.id, d.groupId, d.channelId, d.ruleId, d.event, d.subject, d.summary, d.status, d.attempts, d.lastError, d.createdAt, d.updatedAt],
  );
}

/** Records the outcome of one more attempt. */
export async function updateAlertDelivery(q: Queryable, id: string, u: { status: AlertDeliveryRecord['status']; attempts: number; lastError: string | null }, at: number): Promise<void> {
  await q.run('UPDATE alert_deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = ? WHERE id = ?', [u.status, u.attempts, u.lastError, at, id]);
}

/** The newest deliveries of some groups, newest first. */
export async function listAlertDeliveries(q: Queryable, groupIds: readonly string[], limit: number): Promise<AlertDeliveryRecord[]> {
  if (groupIds.length === 0) return [];
  const marks = groupIds.map(() => '?').join(',');
  return (await q.all<Row>(`SELECT * FROM alert_deliveries WHERE group_id IN (${marks}) ORDER BY created_at DESC, id DESC LIMIT ?`, [...groupIds, limit])).map(toRecord);
}

/** Deliveries a previous run left unfinished (pending), to be failed at start. */
export async function failPendingDeliveries(q: Queryable, at: number): Promise<number> {
  return (await q.run("UPDATE alert_deliveries SET status = 'failed', last_error = 'the server stopped before the delivery finished', updated_at = ? WHERE status = 'pending'", [at])).changes;
}
