import type { Queryable } from './database.js';

/** Replaces a user's recovery codes with new ones (hashes only). */
export async function replaceRecoveryCodes(q: Queryable, userId: string, hashes: readonly string[]): Promise<void> {
  await q.run('DELETE FROM recovery_codes WHERE user_id = ?', [userId]);
  for (const h of hashes) await q.run('INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)', [userId, h]);
}

/** Spends one unused recovery code; false if it is unknown or already used. */
export async function useRecoveryCode(q: Queryable, userId: string, hash: string, now: number): Promise<boolean> {
  return (await q.run('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL', [now, userId, hash])).changes === 1;
}

/** How many unused codes a user has left. */
export async function countRecoveryCodes(q: Queryable, userId: string): Promise<number> {
  return ((await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL', [userId])) as { n: number }).n;
}
