import type { Queryable } from './database.js';

/** A browser sign-in; only hashes of its secrets are stored. */
export interface ConsoleSessionRecord {
  idHash: string;
  userId: string;
  stage: 'totp' | 'full';
  csrfHash: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

interface Row {
  id_hash: string;
  user_id: string;
  stage: 'totp' | 'full';
  csrf_hash: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** Stores a new browser sign-in. */
export async function insertConsoleSession(q: Queryable, s: ConsoleSessionRecord): Promise<void> {
  await q.run('INSERT INTO console_sessions (id_hash, user_id, stage, csrf_hash, created_at, last_seen_at, expires_at) VALUES (?,?,?,?,?,?,?)', [
    s.idHash,
    s.userId,
    s.stage,
    s.csrfHash,
    s.createdAt,
    s.lastSeenAt,
    s.expiresAt,
  ]);
}

/** One sign-in by the hash of its cookie. */
export async function getConsoleSession(q: Queryable, idHash: string): Promise<ConsoleSessionRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM console_sessions WHERE id_hash = ?', [idHash]);
  return (
    r && { idHash: r.id_hash, userId: r.user_id, stage: r.stage, csrfHash: r.csrf_hash, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at }
  );
}

/** Records activity (for the idle timeout). */
export async function touchConsoleSession(q: Queryable, idHash: string, now: number): Promise<void> {
  await q.run('UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ?', [now, idHash]);
}

/** Ends one sign-in. */
export async function deleteConsoleSession(q: Queryable, idHash: string): Promise<void> {
  await q.run('DELETE FROM console_sessions WHERE id_hash = ?', [idHash]);
}

/** Ends every sign-in and API token of a user (disablement, password or TOTP reset). */
export async function endUserSignIns(q: Queryable, userId: string, now: number): Promise<void> {
  await q.run('DELETE FROM console_sessions WHERE user_id = ?', [userId]);
  await q.run('DELETE FROM remembered_browsers WHERE user_id = ?', [userId]);
  await q.run('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, userId]);
}

/** Remembers a browser for a user until `expiresAt`. */
export async function rememberBrowser(q: Queryable, tokenHash: string, userId: string, expiresAt: number): Promise<void> {
  await q.run('INSERT INTO remembered_browsers (token_hash, user_id, expires_at) VALUES (?,?,?)', [tokenHash, userId, expiresAt]);
}

/** Whether a browser token is remembered for this user and still valid. */
export async function isBrowserRemembered(q: Queryable, tokenHash: string, userId: string, now: number): Promise<boolean> {
  return (await q.get('SELECT 1 FROM remembered_browsers WHERE token_hash = ? AND user_id = ? AND expires_at > ?', [tokenHash, userId, now])) !== undefined;
}

/**
 * Ends every sign-in of a user but the one given (a password changed by its owner): other
 * console sign-ins, remembered browsers and CLI logins; named API tokens stay.
 */
export async function deleteOtherSignIns(q: Queryable, keep: { userId: string; via: 'token' | 'console'; credentialId: string }, now: number): Promise<void> {
  const keepSession = keep.via === 'console' ? keep.credentialId : '';
  const keepToken = keep.via === 'token' ? keep.credentialId : '';
  await q.run('DELETE FROM console_sessions WHERE user_id = ? AND id_hash <> ?', [keep.userId, keepSession]);
  await q.run('DELETE FROM remembered_browsers WHERE user_id = ?', [keep.userId]);
  await q.run("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND kind = 'cli' AND id <> ? AND revoked_at IS NULL", [now, keep.userId, keepToken]);
}
