import type { Queryable } from './database.js';

/** Breadth of what a token may do. */
export type TokenScope = 'read' | 'operate' | 'admin';

/** An API token row; the secret is stored only as its hash. */
export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  scope: TokenScope;
  kind: 'api' | 'cli';
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Limits the token to this group's subtree. */
  groupId: string | null;
}

interface Row {
  id: string;
  user_id: string;
  name: string;
  scope: TokenScope;
  kind: 'api' | 'cli';
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  group_id: string | null;
}

const toRecord = (r: Row): ApiTokenRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  scope: r.scope,
  kind: r.kind,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  groupId: r.group_id,
});

/** Stores a token under the hash of its secret. */
export async function insertApiToken(q: Queryable, t: Omit<ApiTokenRecord, 'lastUsedAt' | 'revokedAt'> & { tokenHash: string }): Promise<void> {
  await q.run(
    'INSERT INTO api_tokens (id, user_id, name, token_hash, scope, kind, created_at, expires_at, group_id) VALUES (?,?,?,?,?,?,?,?,?)',
    [t.id, t.userId, t.name, t.tokenHash, t.scope, t.kind, t.createdAt, t.expiresAt, t.groupId],
  );
}

/** The live token whose secret hashes to `tokenHash`. */
export async function getApiTokenByHash(q: Queryable, tokenHash: string): Promise<ApiTokenRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM api_tokens WHERE token_hash = ?', [tokenHash]);
  return r && toRecord(r);
}

/** Records use; CLI tokens slide their expiry forward while in use. */
export async function touchApiToken(q: Queryable, id: string, now: number, newExpiresAt?: number): Promise<void> {
  if (newExpiresAt === undefined) await q.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, id]);
  else await q.run('UPDATE api_tokens SET last_used_at = ?, expires_at = CASE WHEN expires_at > ? THEN expires_at ELSE ? END WHERE id = ?', [now, newExpiresAt, newExpiresAt, id]);
}

/** Revokes a token at once. */
export async function revokeApiToken(q: Queryable, id: string, now: number): Promise<void> {
  await q.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id]);
}

/** One token by id. */
export async function getApiToken(q: Queryable, id: string): Promise<ApiTokenRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM api_tokens WHERE id = ?', [id]);
  return r && toRecord(r);
}

/** A user's API tokens (not CLI sign-ins), newest first. */
export async function listApiTokens(q: Queryable, userIds: readonly string[]): Promise<ApiTokenRecord[]> {
  if (userIds.length === 0) return [];
  const marks = userIds.map(() => '?').join(',');
  return (await q.all<Row>(`SELECT * FROM api_tokens WHERE kind = 'api' AND user_id IN (${marks}) ORDER BY created_at DESC`, userIds)).map(toRecord);
}

/** Gives a token a new secret, keeping its name, scope and expiry. */
export async function rehashApiToken(q: Queryable, id: string, tokenHash: string): Promise<void> {
  await q.run('UPDATE api_tokens SET token_hash = ?, last_used_at = NULL WHERE id = ?', [tokenHash, id]);
}
