import type { NodeStatusReport } from '../../shared/protocol.js';
import type { Queryable } from './database.js';

/** A stored health report and when it arrived. */
export interface NodeStatusRecord {
  at: number;
  report: NodeStatusReport;
}

/**
 * Stores a report and trims the node's history to the newest `keep`, so a node that
 * reports every minute for years costs a constant amount of space.
 */
export async function insertNodeStatus(q: Queryable, nodeId: string, at: number, report: NodeStatusReport, keep: number): Promise<void> {
  await q.run('INSERT INTO node_status (node_id, at, report) VALUES (?,?,?)', [nodeId, at, JSON.stringify(report)]);
  await q.run('DELETE FROM node_status WHERE node_id = ? AND id NOT IN (SELECT id FROM node_status WHERE node_id = ? ORDER BY id DESC LIMIT ?)', [nodeId, nodeId, keep]);
}

/** A node's reports, newest first. */
export async function listNodeStatus(q: Queryable, nodeId: string, limit: number): Promise<NodeStatusRecord[]> {
  const rows = await q.all<{ at: number; report: string }>('SELECT at, report FROM node_status WHERE node_id = ? ORDER BY id DESC LIMIT ?', [nodeId, limit]);
  return rows.map((r) => ({ at: r.at, report: JSON.parse(r.report) as NodeStatusReport }));
}

/** Records the mode a node runs in and when it said it will connect next. */
export async function setNodeSchedule(q: Queryable, nodeId: string, mode: NodeStatusReport['mode'], nextCheckInAt: number | null): Promise<void> {
  await q.run('UPDATE nodes SET mode = ?, next_check_in_at = ? WHERE id = ?', [mode, nextCheckInAt, nodeId]);
}

/** Sets (or, with null, withdraws) the mode proposed to a node. */
export async function setProposedMode(q: Queryable, nodeId: string, proposal: string | null): Promise<void> {
  await q.run('UPDATE nodes SET proposed_mode = ? WHERE id = ?', [proposal, nodeId]);
}
