import { sha256Hex } from '../../shared/secrets.js';
import type { Database, Queryable } from './database.js';

/** Who did something: a user id, a node id, or `system`. */
export interface AuditEntry {
  actor: string;
  sourceIp?: string | null;
  action: string;
  target?: string | null;
  result: 'ok' | 'denied' | 'failed';
  detail?: Record<string, unknown>;
  /** The group the entry concerns, so group admins can read it. */
  groupId?: string | null;
}

/** An audit row as stored. */
export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  source_ip: string | null;
  action: string;
  target: string | null;
  result: string;
  detail: string;
  prev_hash: string;
  hash: string;
  group_id: string | null;
}

const GENESIS = '0'.repeat(64);

function rowHash(prev: string, r: Omit<AuditRow, 'prev_hash' | 'hash'>): string {
  return sha256Hex(`${prev}\n${JSON.stringify([r.seq, r.at, r.actor, r.source_ip, r.action, r.target, r.result, r.detail, r.group_id])}`);
}

/**
 * Appends one entry chained to the previous one. Call it inside the transaction of the
 * action it records, so the entry exists exactly when the action happened.
 */
export async function appendAudit(q: Queryable, e: AuditEntry, at: number): Promise<void> {
  const last = await q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const prev = last?.hash ?? GENESIS;
  const row = {
    seq: (last?.seq ?? 0) + 1,
    at,
    actor: e.actor,
    source_ip: e.sourceIp ?? null,
    action: e.action,
    target: e.target ?? null,
    result: e.result,
    detail: JSON.stringify(e.detail ?? {}),
    group_id: e.groupId ?? null,
  };
  await q.run(
    'INSERT INTO audit_log (seq, at, actor, source_ip, action, target, result, detail, group_id, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
    [row.seq, row.at, row.actor, row.source_ip, row.action, row.target, row.result, row.detail, row.group_id, prev, rowHash(prev, row)],
  );
}

/** Filters for reading the audit log. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  since?: number;
  until?: number;
  limit?: number;
  beforeSeq?: number;
  /** Only entries of these groups (root admins read everything and pass none). */
  groupIds?: readonly string[];
}

/** Reads entries, newest first. */
export async function listAudit(q: Queryable, f: AuditFilter = {}): Promise<AuditRow[]> {
  const conditions: [string, string | number | undefined][] = [
    ['actor = ?', f.actor],
    ['action LIKE ?', f.action === undefined ? undefined : `${f.action}%`],
    ['target = ?', f.target],
    ['at >= ?', f.since],
    ['at < ?', f.until],
    ['seq < ?', f.beforeSeq],
  ];
  const used = conditions.filter((c): c is [string, string | number] => c[1] !== undefined && c[1] !== '');
  const where = used.map((c) => c[0]);
  const params = used.map((c) => c[1]);
  if (f.groupIds) {
    where.push(`group_id IN (${f.groupIds.map(() => '?').join(',') || "''"})`);
    params.push(...f.groupIds);
  }
  const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
  return q.all<AuditRow>(sql, [...params, Math.min(f.limit ?? 100, 10_000)]);
}

/** The outcome of checking the chain. */
export type AuditVerdict = { ok: true; entries: number } | { ok: false; entries: number; badSeq: number; reason: string };

/** Recomputes the chain from the first row; names the first row that does not fit. */
export async function verifyAudit(q: Queryable): Promise<AuditVerdict> {
  const rows = await q.all<AuditRow>('SELECT * FROM audit_log ORDER BY seq');
  let prev = GENESIS;
  let expectedSeq = 1;
  for (const r of rows) {
    if (r.seq !== expectedSeq) return { ok: false, entries: rows.length, badSeq: expectedSeq, reason: 'entry is missing' };
    if (r.prev_hash !== prev) return { ok: false, entries: rows.length, badSeq: r.seq, reason: 'previous hash does not match' };
    if (rowHash(prev, r) !== r.hash) return { ok: false, entries: rows.length, badSeq: r.seq, reason: 'entry was altered' };
    prev = r.hash;
    expectedSeq++;
  }
  return { ok: true, entries: rows.length };
}

/** Appends one entry on its own, for events that have no other write to share a transaction with. */
export function recordAudit(db: Database, e: AuditEntry, at: number): Promise<void> {
  return db.transaction((tx) => appendAudit(tx, e, at));
}
