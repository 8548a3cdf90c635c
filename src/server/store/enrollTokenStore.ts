import type { Queryable } from './database.js';

/** An enrollment token row; the secret itself is never stored, only its hash. */
export interface EnrollTokenRecord {
  id: string;
  groupId: string;
  maxUses: number;
  uses: number;
  autoApprove: boolean;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** The pre-registered node (CSV import) this token enrolls, and no other; null for a token of a group. */
  nodeId: string | null;
}

interface Row {
  id: string;
  group_id: string;
  max_uses: number;
  uses: number;
  auto_approve: number;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  node_id: string | null;
}

const toRecord = (r: Row): EnrollTokenRecord => ({
  id: r.id,
  groupId: r.group_id,
  maxUses: r.max_uses,
  uses: r.uses,
  autoApprove: r.auto_approve === 1,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  nodeId: r.node_id,
});

/** Stores a new token under the hash of its secret. */
export async function insertEnrollToken(q: Queryable, t: Omit<EnrollTokenRecord, 'uses' | 'revokedAt' | 'nodeId'> & { tokenHash: string; nodeId?: string }): Promise<void> {
  await q.run(
    'INSERT INTO enroll_tokens (id, token_hash, group_id, max_uses, auto_approve, created_by, created_at, expires_at, node_id) VALUES (?,?,?,?,?,?,?,?,?)',
    [t.id, t.tokenHash, t.groupId, t.maxUses, t.autoApprove ? 1 : 0, t.createdBy, t.createdAt, t.expiresAt, t.nodeId ?? null],
  );
}

/** The token whose secret hashes to `tokenHash`. */
export async function getEnrollTokenByHash(q: Queryable, tokenHash: string): Promise<EnrollTokenRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM enroll_tokens WHERE token_hash = ?', [tokenHash]);
  return r && toRecord(r);
}

/**
 * Spends one use, only if the token is still usable at `now`. Returns false when another
 * enrollment got there first, so two nodes can never share the last use.
 */
export async function consumeEnrollToken(q: Queryable, id: string, now: number): Promise<boolean> {
  const r = await q.run(
    'UPDATE enroll_tokens SET uses = uses + 1 WHERE id = ? AND uses < max_uses AND expires_at > ? AND revoked_at IS NULL',
    [id, now],
  );
  return r.changes === 1;
}

/** All tokens, newest first. */
export async function listEnrollTokens(q: Queryable): Promise<EnrollTokenRecord[]> {
  return (await q.all<Row>('SELECT * FROM enroll_tokens ORDER BY created_at DESC')).map(toRecord);
}

/** Revokes a token; false if there was none to revoke. */
export async function revokeEnrollToken(q: Queryable, id: string, now: number): Promise<boolean> {
  return (await q.run('UPDATE enroll_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])).changes === 1;
}
