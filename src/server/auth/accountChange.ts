import { BurrowError } from '../../shared/errors.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import { deleteOtherSignIns } from '../store/consoleSessionStore.js';
import { getUser, listGrants, setPasswordHash, setUserEmail, type UserRecord } from '../store/userStore.js';
import type { Credential } from './currentAuthority.js';
import { checkEmailInUseThrottle, emailInUse, recordEmailInUse } from './emailInUse.js';
import { checkSecondFactor, type LoginDeps } from './login.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from './password.js';
import { beginSignInStep, signInKeys, signInStepPassed } from './signInThrottle.js';

/** What a signed-in user proves again before changing their own password or email. */
export interface Reauthentication {
  currentPassword: string;
  totp?: string | undefined;
}

/**
 * Checks the password and the authenticator code of a signed-in user again, throttled and
 * audited like a sign-in: a stolen console tab or CLI token alone cannot take the account
 * over, nor guess the password faster than at the sign-in page. A user without an
 * authenticator (a viewer who never enrolled one) proves the password only.
 */
export async function reauthenticate(d: LoginDeps, userId: string, r: Reauthentication, ip: string, action: string): Promise<UserRecord> {
  const user = await getUser(d.db, userId);
  if (!user || user.disabled) throw new BurrowError('UNAUTHENTICATED', 'Sign in again.');
  const now = d.clock.now();
  const step = await d.db.transaction((tx) => beginSignInStep(tx, signInKeys(user.email, ip), now));
  if (!(await verifyPassword(r.currentPassword, user.passwordHash))) {
    await recordAudit(d.db, { actor: user.id, sourceIp: ip, action, target: user.email, result: 'denied', detail: { reason: 'password' } }, now);
    throw new BurrowError('LOGIN_FAILED', 'The current password is wrong.');
  }
  await d.db.transaction((tx) => signInStepPassed(tx, step));
  if (user.totpConfirmed) await checkSecondFactor(d, user, { totp: r.totp }, ip);
  return user;
}

/**
 * Changes a signed-in user's own password. Every other sign-in of theirs ends (console
 * sign-ins, CLI logins, remembered browsers): whoever knew the old password loses what it
 * opened. The sign-in making the change stays, and so do named API tokens: they are
 * credentials of their own for automation, listed and revoked with `burrow admin tokens`.
 */
export async function changeOwnPassword(d: LoginDeps, c: Credential, r: Reauthentication, newPassword: string, ip: string): Promise<UserRecord> {
  const user = await reauthenticate(d, c.userId, r, ip, 'user.password-change');
  if (newPassword === r.currentPassword) throw new BurrowError('VALIDATION', 'Choose a new password, not the current one.');
  checkPasswordStrength(newPassword);
  const hash = await hashPassword(newPassword);
  const now = d.clock.now();
  await d.db.transaction(async (tx) => {
    await setPasswordHash(tx, user.id, hash);
    await deleteOtherSignIns(tx, c, now);
    await appendAudit(tx, { actor: user.id, sourceIp: ip, action: 'user.password-change', target: user.email, result: 'ok' }, now);
  });
  return user;
}

/** Changes a signed-in user's own email, after the password and the authenticator code again. */
export async function changeOwnEmail(d: LoginDeps, userId: string, r: Reauthentication, email: string, ip: string): Promise<void> {
  const user = await reauthenticate(d, userId, r, ip, 'user.email-change');
  await changeEmail(d, user, email, user.id, ip);
}

/**
 * Gives an account a new email, audited with both addresses. One another account has is
 * refused without saying whose, audited as denied under the account's group and throttled
 * per actor (emailInUse.ts), since it answers "is this address taken?".
 */
export async function changeEmail(d: LoginDeps, user: UserRecord, email: string, actor: string, ip: string): Promise<void> {
  const now = d.clock.now();
  const changed = await d.db.transaction(async (tx) => {
    await checkEmailInUseThrottle(tx, actor, now);
    if (await setUserEmail(tx, user.id, email)) {
      await appendAudit(tx, { actor, sourceIp: ip, action: 'user.email-change', target: email, result: 'ok', detail: { from: user.email, to: email } }, now);
      return true;
    }
    const groupId = (await listGrants(tx, user.id))[0]?.groupId ?? null;
    await recordEmailInUse(tx, { actor, sourceIp: ip, action: 'user.email-change', target: email, groupId, detail: { from: user.email } }, now);
    return false;
  });
  if (!changed) throw emailInUse(email);
}
