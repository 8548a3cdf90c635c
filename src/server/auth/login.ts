import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { SecretBox } from '../../shared/secretBox.js';
import { newId, newSecretToken, sha256Hex } from '../../shared/secrets.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { insertApiToken } from '../store/apiTokenStore.js';
import { useRecoveryCode } from '../store/recoveryCodeStore.js';
import { claimTotpStep, confirmTotp, getUserByEmail, listGrants, type UserRecord } from '../store/userStore.js';
import { beginSignInStep, signInCompleted, signInKeys, signInStepPassed } from './signInThrottle.js';
import { decoyPasswordHash, verifyPassword } from './password.js';
import { hashRecoveryCode } from './recoveryCodes.js';
import { matchTotp } from './totp.js';

/** CLI tokens live this long after their last use. */
export const CLI_TOKEN_TTL_MS = 24 * 3_600_000;

/** What sign-in needs from the server. */
export interface LoginDeps {
  db: Database;
  clock: Clock;
  box: SecretBox;
}

/** The second factor of a sign-in: a TOTP code, or one recovery code. */
export interface SecondFactor {
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

/** Whether a user must enroll TOTP before doing anything else: admins and operators must. */
export async function mustEnrollTotp(db: Database, user: UserRecord): Promise<boolean> {
  if (user.totpConfirmed) return false;
  return (await listGrants(db, user.id)).some((g) => g.role !== 'viewer');
}

/**
 * Step one: the password. Throttled per account and per source address (signInThrottle.ts);
 * an unknown user and a wrong password fail alike, in the same time. A right password does
 * not reset the account's count: the caller completes the sign-in (checkSecondFactor, or
 * signInComplete when the password alone completes it).
 */
export async function checkPassword(d: LoginDeps, email: string, password: string, ip: string): Promise<UserRecord> {
  const now = d.clock.now();
  const step = await d.db.transaction((tx) => beginSignInStep(tx, signInKeys(email, ip), now));
  const user = await getUserByEmail(d.db, email);
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash));
  if (!user || !ok || user.disabled) {
    await recordAudit(d.db, { actor: user?.id ?? 'anonymous', sourceIp: ip, action: 'auth.login', target: email, result: 'denied', detail: { reason: user ? (user.disabled ? 'disabled' : 'password') : 'unknown-user' } }, now);
    throw new BurrowError('LOGIN_FAILED', 'Wrong email or password.');
  }
  // Told only to whoever knows the password: a temporary one that was never replaced in time.
  if (user.mustChangePassword && user.passwordExpiresAt !== null && user.passwordExpiresAt <= now) {
    await recordAudit(d.db, { actor: user.id, sourceIp: ip, action: 'auth.login', target: email, result: 'denied', detail: { reason: 'password-expired' } }, now);
    throw new BurrowError('LOGIN_FAILED', 'This temporary password has expired; ask an administrator for a new account password.');
  }
  await d.db.transaction((tx) => signInStepPassed(tx, step));
  return user;
}

/** Marks a sign-in complete (every step passed): the account's failures are forgiven. */
export async function signInComplete(d: LoginDeps, user: UserRecord, ip: string): Promise<void> {
  await d.db.transaction((tx) => signInCompleted(tx, signInKeys(user.email, ip)));
}

/**
 * Step two: a TOTP code (±1 step, each step accepted once) or a recovery code (each
 * usable once). A first valid code confirms a freshly enrolled authenticator.
 */
export async function checkSecondFactor(d: LoginDeps, user: UserRecord, f: SecondFactor, ip: string): Promise<void> {
  const now = d.clock.now();
  const step = await d.db.transaction((tx) => beginSignInStep(tx, signInKeys(user.email, ip), now));
  const fail = async (reason: string, message: string): Promise<never> => {
    await recordAudit(d.db, { actor: user.id, sourceIp: ip, action: 'auth.login', target: user.email, result: 'denied', detail: { reason } }, now);
    throw new BurrowError('TOTP_INVALID', message);
  };
  if (f.recoveryCode) {
    if (!(await useRecoveryCode(d.db, user.id, hashRecoveryCode(f.recoveryCode), now))) return fail('recovery-code', 'That recovery code is wrong or already used.');
    await recordAudit(d.db, { actor: user.id, sourceIp: ip, action: 'auth.recovery-code', target: user.email, result: 'ok' }, now);
  } else {
    if (!user.totpSecretEnc) return fail('no-totp', 'This account has no authenticator enrolled; sign in with your password to enroll one.');
    if (!f.totp) return fail('totp-missing', 'An authenticator code is needed.');
    const step = matchTotp(d.box.open(user.totpSecretEnc, user.id), f.totp, now);
    if (step === undefined) return fail('totp', 'The authenticator code is wrong or too old.');
    if (!(await claimTotpStep(d.db, user.id, step))) {
      // Codes are accepted in increasing time order only, so after the server's clock went
      // back (past this account's last sign-in) they are refused until it catches up.
      if (step < user.totpLastStep - 1) return fail('totp-clock', "The server's clock is behind the time of this account's last sign-in; codes work again once it catches up, or an administrator can reset your authenticator.");
      return fail('totp-replay', 'That authenticator code was already used; wait for the next one.');
    }
    if (!user.totpConfirmed) await confirmTotp(d.db, user.id);
  }
  // The second factor is the last step: only now are the account's failures forgiven.
  await d.db.transaction(async (tx) => {
    await signInStepPassed(tx, step);
    await signInCompleted(tx, step.keys);
  });
}

/** Issues a CLI/API sign-in token after both steps passed (or TOTP is not yet enrolled). */
export async function issueLoginToken(d: LoginDeps, user: UserRecord, ip: string): Promise<{ token: string; expiresAt: number }> {
  await signInComplete(d, user, ip);
  const now = d.clock.now();
  const token = newSecretToken('brt');
  const expiresAt = now + CLI_TOKEN_TTL_MS;
  await d.db.transaction(async (tx) => {
    const id = newId('tok');
    await insertApiToken(tx, { id, userId: user.id, name: 'cli login', tokenHash: sha256Hex(token), scope: 'admin', kind: 'cli', createdAt: now, expiresAt, groupId: null });
    await appendAudit(tx, { actor: user.id, sourceIp: ip, action: 'auth.login', target: user.email, result: 'ok', detail: { tokenId: id, via: 'cli' } }, now);
  });
  return { token, expiresAt };
}
