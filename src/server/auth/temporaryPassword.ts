import { BurrowError } from '../../shared/errors.js';
import { appendAudit } from '../store/auditStore.js';
import { endUserSignIns } from '../store/consoleSessionStore.js';
import { setPasswordHash, type UserRecord } from '../store/userStore.js';
import type { LoginDeps } from './login.js';
import { checkPasswordStrength, hashPassword } from './password.js';

/** How long a password burrow made up for a new account works (it must be changed before). */
export const TEMPORARY_PASSWORD_TTL_MS = 24 * 3_600_000;

/**
 * Refuses a sign-in with a temporary password that does not bring the user's own
 * (`newPassword`): the administrator who handed the temporary one over (and wherever it was
 * pasted) knows it. Checked before the second factor, so a code is not spent on a sign-in
 * that cannot finish. Nothing is asked of a user whose password is their own.
 */
export function checkNewPassword(user: UserRecord, currentPassword: string, newPassword: string | undefined): void {
  if (!user.mustChangePassword) return;
  if (newPassword === undefined) throw new BurrowError('PASSWORD_CHANGE_REQUIRED', 'This is a temporary password: choose a new one to sign in.');
  if (newPassword === currentPassword) throw new BurrowError('VALIDATION', 'Choose a new password, not the temporary one.');
  checkPasswordStrength(newPassword);
}

/** The last step of a sign-in with a temporary password: the user's own replaces it. */
export async function replaceTemporaryPassword(d: LoginDeps, user: UserRecord, currentPassword: string, newPassword: string | undefined, ip: string): Promise<void> {
  checkNewPassword(user, currentPassword, newPassword);
  if (!user.mustChangePassword || newPassword === undefined) return;
  const hash = await hashPassword(newPassword);
  const now = d.clock.now();
  await d.db.transaction(async (tx) => {
    await setPasswordHash(tx, user.id, hash);
    await endUserSignIns(tx, user.id, now);
    await appendAudit(tx, { actor: user.id, sourceIp: ip, action: 'user.password-change', target: user.email, result: 'ok', detail: { temporary: true } }, now);
  });
}
