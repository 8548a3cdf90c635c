import type { Queryable } from './database.js';

/** What happens to a node's tunnel once its monthly budget is spent. */
export type BudgetOverAction = 'refuse' | 'throttle';

/** A node's monthly data budget as stored. */
export interface NodeBudgetRecord {
  nodeId: string;
  monthlyBytes: number;
  over: BudgetOverAction;
  /** The tunnel's rate, bytes per second, once the budget is spent (and no override is active). */
  rateBytes: number;
  /** Until when an administrator lifted the limits; null when no override was given. */
  overrideUntil: number | null;
  /** The month ('YYYY-MM') whose 80 % notice was written, so it is written once a month. */
  warnedMonth: string | null;
  /** The month whose 100 % notice was written. */
  exceededMonth: string | null;
  updatedAt: number;
}

/** Bytes through a node's tunnel in one month, as the server counted them. */
export interface NodeTraffic {
  bytesIn: number;
  bytesOut: number;
}

interface BudgetRow { node_id: string; monthly_bytes: number; over: string; rate_bytes: number; override_until: number | null; warned_month: string | null; exceeded_month: string | null; updated_at: number }

const budgetOf = (r: BudgetRow): NodeBudgetRecord => ({
  nodeId: r.node_id,
  monthlyBytes: Number(r.monthly_bytes),
  over: r.over === 'throttle' ? 'throttle' : 'refuse',
  rateBytes: Number(r.rate_bytes),
  overrideUntil: r.override_until === null ? null : Number(r.override_until),
  warnedMonth: r.warned_month,
  exceededMonth: r.exceeded_month,
  updatedAt: Number(r.updated_at),
});

/**
 * Adds bytes to a node's count for `month`. An increment, never a write of a total: several
 * instances (and a tunnel that moved between them within the month) each add their own.
 */
export async function addNodeTraffic(q: Queryable, nodeId: string, month: string, bytesIn: number, bytesOut: number): Promise<void> {
  await q.run(
    'INSERT INTO node_traffic (node_id, month, bytes_in, bytes_out) VALUES (?,?,?,?) ON CONFLICT (node_id, month) DO UPDATE SET bytes_in = node_traffic.bytes_in + excluded.bytes_in, bytes_out = node_traffic.bytes_out + excluded.bytes_out',
    [nodeId, month, bytesIn, bytesOut],
  );
}

/** A node's count for `month` (zero when nothing crossed). */
export async function getNodeTraffic(q: Queryable, nodeId: string, month: string): Promise<NodeTraffic> {
  const r = await q.get<{ bytes_in: number; bytes_out: number }>('SELECT bytes_in, bytes_out FROM node_traffic WHERE node_id = ? AND month = ?', [nodeId, month]);
  return { bytesIn: Number(r?.bytes_in ?? 0), bytesOut: Number(r?.bytes_out ?? 0) };
}

/** Every node's count for `month`, by node id. */
export async function listNodeTraffic(q: Queryable, month: string): Promise<Map<string, NodeTraffic>> {
  const rows = await q.all<{ node_id: string; bytes_in: number; bytes_out: number }>('SELECT node_id, bytes_in, bytes_out FROM node_traffic WHERE month = ?', [month]);
  return new Map(rows.map((r) => [r.node_id, { bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out) }]));
}

/** A node's budget, if one is set. */
export async function getNodeBudget(q: Queryable, nodeId: string): Promise<NodeBudgetRecord | undefined> {
  const r = await q.get<BudgetRow>('SELECT * FROM node_budgets WHERE node_id = ?', [nodeId]);
  return r && budgetOf(r);
}

/** Every budget set, by node id. */
export async function listNodeBudgets(q: Queryable): Promise<Map<string, NodeBudgetRecord>> {
  const rows = await q.all<BudgetRow>('SELECT * FROM node_budgets');
  return new Map(rows.map((r) => [r.node_id, budgetOf(r)]));
}

/**
 * Sets a node's budget. The month's notices start over, so a raised budget warns again when
 * the new 80 % is reached; an override given earlier stays.
 */
export async function putNodeBudget(q: Queryable, b: Pick<NodeBudgetRecord, 'nodeId' | 'monthlyBytes' | 'over' | 'rateBytes'>, now: number): Promise<void> {
  await q.run(
    'INSERT INTO node_budgets (node_id, monthly_bytes, over, rate_bytes, override_until, warned_month, exceeded_month, updated_at) VALUES (?,?,?,?,NULL,NULL,NULL,?) ' +
      'ON CONFLICT (node_id) DO UPDATE SET monthly_bytes = excluded.monthly_bytes, over = excluded.over, rate_bytes = excluded.rate_bytes, warned_month = NULL, exceeded_month = NULL, updated_at = excluded.updated_at',
    [b.nodeId, b.monthlyBytes, b.over, b.rateBytes, now],
  );
}

/** Removes a node's budget; true when there was one. */
export async function deleteNodeBudget(q: Queryable, nodeId: string): Promise<boolean> {
  return (await q.run('DELETE FROM node_budgets WHERE node_id = ?', [nodeId])).changes > 0;
}

/** Sets (or, with null, ends) an override of a node's budget; true when the node has a budget. */
export async function setBudgetOverride(q: Queryable, nodeId: string, until: number | null, now: number): Promise<boolean> {
  return (await q.run('UPDATE node_budgets SET override_until = ?, updated_at = ? WHERE node_id = ?', [until, now, nodeId])).changes > 0;
}

/**
 * Claims the month's 80 % (`warned`) or 100 % (`exceeded`) notice of a node: true for the one
 * caller, of every instance, that gets to write it.
 */
export async function claimBudgetNotice(q: Queryable, nodeId: string, notice: 'warned' | 'exceeded', month: string): Promise<boolean> {
  const column = notice === 'warned' ? 'warned_month' : 'exceeded_month';
  const r = await q.run(`UPDATE node_budgets SET ${column} = ? WHERE node_id = ? AND (${column} IS NULL OR ${column} <> ?)`, [month, nodeId, month]);
  return r.changes > 0;
}
