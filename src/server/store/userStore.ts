import type { Queryable } from './database.js';

/** A user row mapped to its type (secrets stay sealed). */
export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  totpSecretEnc: string | null;
  totpConfirmed: boolean;
  totpLastStep: number;
  disabled: boolean;
  createdAt: number;
  /** A temporary password must be replaced at the next sign-in, and stops working after this time. */
  mustChangePassword: boolean;
  passwordExpiresAt: number | null;
  /** When the account was deleted; a deleted account is a disabled tombstone. */
  deletedAt: number | null;
}

interface Row {
  id: string;
  email: string;
  password_hash: string;
  totp_secret_enc: string | null;
  totp_confirmed: number;
  totp_last_step: number;
  disabled: number;
  created_at: number;
  must_change_password: number;
  password_expires_at: number | null;
  deleted_at: number | null;
}

const toRecord = (r: Row): UserRecord => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  totpSecretEnc: r.totp_secret_enc,
  totpConfirmed: r.totp_confirmed === 1,
  totpLastStep: r.totp_last_step,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  mustChangePassword: r.must_change_password === 1,
  passwordExpiresAt: r.password_expires_at,
  deletedAt: r.deleted_at,
});

/** Adds a user; `temporaryUntil` marks its password temporary (change at first sign-in, expires then). */
export async function insertUser(q: Queryable, u: Omit<UserRecord, 'totpLastStep' | 'disabled' | 'mustChangePassword' | 'passwordExpiresAt' | 'deletedAt'> & { temporaryUntil?: number }): Promise<void> {
  await q.run(
    'INSERT INTO users (id, email, password_hash, totp_secret_enc, totp_confirmed, created_at, must_change_password, password_expires_at) VALUES (?,?,?,?,?,?,?,?)',
    [u.id, u.email, u.passwordHash, u.totpSecretEnc, u.totpConfirmed ? 1 : 0, u.createdAt, u.temporaryUntil === undefined ? 0 : 1, u.temporaryUntil ?? null],
  );
}

/** One user by email (case-insensitive). */
export async function getUserByEmail(q: Queryable, email: string): Promise<UserRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM users WHERE email = ?', [email]);
  return r && toRecord(r);
}

/** One user by id. */
export async function getUser(q: Queryable, id: string): Promise<UserRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM users WHERE id = ?', [id]);
  return r && toRecord(r);
}

/**
 * Records that TOTP step `step` was used, only if it is newer than the last one used:
 * the compare-and-set is what makes a replayed code fail even under concurrent logins.
 */
export async function claimTotpStep(q: Queryable, userId: string, step: number): Promise<boolean> {
  return (await q.run('UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?', [step, userId, step])).changes === 1;
}

/** Grants `role` on a group. */
export async function grantRole(q: Queryable, userId: string, groupId: string, role: 'admin' | 'operator' | 'viewer'): Promise<void> {
  await q.run('INSERT INTO grants (user_id, group_id, role) VALUES (?,?,?) ON CONFLICT (user_id, group_id) DO UPDATE SET role = excluded.role', [userId, groupId, role]);
}

/** The roles a user holds, per group. */
export async function listGrants(q: Queryable, userId: string): Promise<{ groupId: string; role: 'admin' | 'operator' | 'viewer' }[]> {
  return (await q.all<{ group_id: string; role: 'admin' | 'operator' | 'viewer' }>('SELECT group_id, role FROM grants WHERE user_id = ?', [userId])).map(
    (r) => ({ groupId: r.group_id, role: r.role }),
  );
}

/** Marks the user's authenticator as confirmed by a first valid code. */
export async function confirmTotp(q: Queryable, userId: string): Promise<void> {
  await q.run('UPDATE users SET totp_confirmed = 1 WHERE id = ?', [userId]);
}

/** Every user, by email. */
export async function listUsers(q: Queryable): Promise<UserRecord[]> {
  return (await q.all<Row>('SELECT * FROM users WHERE deleted_at IS NULL ORDER BY email')).map(toRecord);
}

/** Every grant of every user. */
export async function listAllGrants(q: Queryable): Promise<{ userId: string; groupId: string; role: 'admin' | 'operator' | 'viewer' }[]> {
  return (await q.all<{ user_id: string; group_id: string; role: 'admin' | 'operator' | 'viewer' }>('SELECT * FROM grants')).map((r) => ({
    userId: r.user_id,
    groupId: r.group_id,
    role: r.role,
  }));
}

/** Removes a user's role on a group; false if there was none. */
export async function revokeRole(q: Queryable, userId: string, groupId: string): Promise<boolean> {
  return (await q.run('DELETE FROM grants WHERE user_id = ? AND group_id = ?', [userId, groupId])).changes === 1;
}

/** Disables or re-enables an account. */
export async function setUserDisabled(q: Queryable, userId: string, disabled: boolean): Promise<void> {
  await q.run('UPDATE users SET disabled = ? WHERE id = ?', [disabled ? 1 : 0, userId]);
}

/** Replaces the password hash with one the user chose (no longer temporary). */
export async function setPasswordHash(q: Queryable, userId: string, hash: string): Promise<void> {
  await q.run('UPDATE users SET password_hash = ?, must_change_password = 0, password_expires_at = NULL WHERE id = ?', [hash, userId]);
}

/** Stores a new, not yet confirmed TOTP secret (sealed), or clears it with null. */
export async function setTotpSecret(q: Queryable, userId: string, sealed: string | null): Promise<void> {
  await q.run('UPDATE users SET totp_secret_enc = ?, totp_confirmed = 0, totp_last_step = 0 WHERE id = ?', [sealed, userId]);
}

/** Gives a user a temporary password: changed at the next sign-in, and unusable after `until`. */
export async function setTemporaryPassword(q: Queryable, userId: string, hash: string, until: number): Promise<void> {
  await q.run('UPDATE users SET password_hash = ?, must_change_password = 1, password_expires_at = ? WHERE id = ?', [hash, until, userId]);
}

/** Changes a user's email; false when another account already has it. */
export async function setUserEmail(q: Queryable, userId: string, email: string): Promise<boolean> {
  if (await q.get('SELECT 1 FROM users WHERE lower(email) = lower(?) AND id <> ?', [email, userId])) return false;
  await q.run('UPDATE users SET email = ? WHERE id = ?', [email, userId]);
  return true;
}

/**
 * Deletes an account, leaving a disabled tombstone that whatever references it (sessions,
 * recordings, jobs) still names as "EMAIL (deleted)"; the address itself is free again, and
 * no secret or role is left behind.
 */
export async function markUserDeleted(q: Queryable, user: UserRecord, now: number): Promise<void> {
  await q.run('DELETE FROM grants WHERE user_id = ?', [user.id]);
  await q.run('DELETE FROM recovery_codes WHERE user_id = ?', [user.id]);
  await q.run("UPDATE users SET email = ?, password_hash = '!', totp_secret_enc = NULL, totp_confirmed = 0, disabled = 1, deleted_at = ? WHERE id = ?", [
    `${user.email} (deleted ${user.id})`,
    now,
    user.id,
  ]);
}
