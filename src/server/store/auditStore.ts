import type { KeyObject } from 'node:crypto';
import { entryHash, entryMac, GENESIS, objectTypeOf, type ChainEntry } from '../audit/auditChain.js';
import type { Checkpoint } from '../audit/auditCheckpoint.js';
import { verifyChain, type AuditVerdict } from '../audit/auditVerify.js';
import type { Database, Queryable } from './database.js';

/** One thing that happened: who (a user id, a node id, or `system`), what, to what, with what result. */
export interface AuditEntry {
  actor: string;
  sourceIp?: string | null;
  action: string;
  target?: string | null;
  result: 'ok' | 'denied' | 'failed';
  detail?: Record<string, unknown>;
  /** The group the entry concerns, so group admins can read it. */
  groupId?: string | null;
  /** The actor's email; looked up for user actors when not given. */
  actorEmail?: string | null;
  /** What kind of thing `target` is; derived from the target id or the action when not given. */
  objectType?: string | null;
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
  actor_email: string | null;
  object_type: string | null;
  /** HMAC of `hash` under the audit key; null on entries written before sealing started. */
  mac: string | null;
}

/**
 * Appends one entry chained to the previous one, sealed with a MAC when the connection has
 * the audit key. Call it inside the transaction of the action it records, so the entry
 * exists exactly when the action happened.
 */
export async function appendAudit(q: Queryable, e: AuditEntry, at: number): Promise<void> {
  const last = await q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const prev = last?.hash ?? GENESIS;
  const actorEmail = e.actorEmail ?? (e.actor.startsWith('usr_') ? ((await q.get<{ email: string }>('SELECT email FROM users WHERE id = ?', [e.actor]))?.email ?? null) : null);
  const entry = {
    seq: (last?.seq ?? 0) + 1,
    at,
    actor: e.actor,
    actorEmail,
    sourceIp: e.sourceIp ?? null,
    action: e.action,
    objectType: e.objectType ?? objectTypeOf(e.action, e.target),
    target: e.target ?? null,
    result: e.result,
    detail: JSON.stringify(e.detail ?? {}),
    groupId: e.groupId ?? null,
  };
  const key = q.auditMacKey;
  const hash = entryHash(prev, entry, key !== undefined);
  await q.run(
    'INSERT INTO audit_log (seq, at, actor, actor_email, source_ip, action, object_type, target, result, detail, group_id, prev_hash, hash, mac) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
    [entry.seq, at, entry.actor, entry.actorEmail, entry.sourceIp, entry.action, entry.objectType, entry.target, entry.result, entry.detail, entry.groupId, prev, hash, key ? entryMac(key, hash) : null],
  );
}

/** An audit row in the form the chain covers. */
export function chainEntryOf(r: AuditRow): ChainEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    actorEmail: r.actor_email,
    sourceIp: r.source_ip,
    action: r.action,
    objectType: r.object_type,
    target: r.target,
    result: r.result,
    detail: r.detail,
    groupId: r.group_id,
    prevHash: r.prev_hash,
    hash: r.hash,
    mac: r.mac,
  };
}

/** The newest entry's sequence and hash, and the first sealed entry: what a checkpoint signs. */
export async function auditHead(q: Queryable): Promise<{ seq: number; head: string; macFrom: number | null }> {
  const last = await q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const sealed = await q.get<{ seq: number | null }>('SELECT MIN(seq) AS seq FROM audit_log WHERE mac IS NOT NULL');
  return { seq: last?.seq ?? 0, head: last?.hash ?? GENESIS, macFrom: sealed?.seq ?? null };
}

/** Whether the log has entries but none sealed: a home from before sealing, about to start it. */
export async function auditNeedsSealMark(q: Queryable): Promise<boolean> {
  const h = await auditHead(q);
  return h.seq > 0 && h.macFrom === null;
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

/** Checks the whole log: hash chain, MACs under `keys.macKey`, and the signed checkpoints kept outside the database. */
export async function verifyAudit(q: Queryable, keys: { macKey: Buffer; publicKey: KeyObject }, checkpoints: readonly Checkpoint[]): Promise<AuditVerdict> {
  const rows = await q.all<AuditRow>('SELECT * FROM audit_log ORDER BY seq');
  return verifyChain({ entries: rows.map(chainEntryOf), checkpoints, publicKey: keys.publicKey, macKey: keys.macKey, fromGenesis: true });
}

/** Appends one entry on its own, for events that have no other write to share a transaction with. */
export function recordAudit(db: Database, e: AuditEntry, at: number): Promise<void> {
  return db.transaction((tx) => appendAudit(tx, e, at));
}
