import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { SecretBox } from '../../shared/secretBox.js';
import { newId, newSecretToken, sha256Hex } from '../../shared/secrets.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { insertApiToken } from '../store/apiTokenStore.js';
import { claimTotpStep, confirmTotp, getUserByEmail } from '../store/userStore.js';
import { decoyPasswordHash, verifyPassword } from './password.js';
import { matchTotp } from './totp.js';
import { CLI_TOKEN_TTL_MS } from '../http/authorize.js';

/** The credentials of a sign-in. */
export interface LoginRequest {
  email: string;
  password: string;
  totp: string;
}

/**
 * Checks password and TOTP and issues a CLI token that lives 24 h past its last use.
 * Unknown user and wrong password fail alike, in the same time.
 */
export async function login(
  db: Database,
  clock: Clock,
  box: SecretBox,
  req: LoginRequest,
  sourceIp: string,
): Promise<{ token: string; expiresAt: number; userId: string }> {
  const now = clock.now();
  const user = await getUserByEmail(db, req.email);
  const passwordOk = await verifyPassword(req.password, user?.passwordHash ?? (await decoyPasswordHash));
  const fail = async (code: 'LOGIN_FAILED' | 'TOTP_INVALID', message: string, reason: string): Promise<never> => {
    await recordAudit(db, { actor: user?.id ?? 'anonymous', sourceIp, action: 'auth.login', target: req.email, result: 'denied', detail: { reason } }, now);
    throw new BurrowError(code, message);
  };
  if (!user || !passwordOk || user.disabled) return fail('LOGIN_FAILED', 'Wrong email or password.', user ? 'password' : 'unknown-user');
  if (!user.totpSecretEnc) return fail('TOTP_INVALID', 'This account has no authenticator enrolled; ask an administrator.', 'no-totp');
  const step = matchTotp(box.open(user.totpSecretEnc, user.id), req.totp, now);
  if (step === undefined) return fail('TOTP_INVALID', 'The authenticator code is wrong or too old.', 'totp');
  if (!(await claimTotpStep(db, user.id, step))) return fail('TOTP_INVALID', 'That authenticator code was already used; wait for the next one.', 'totp-replay');

  const token = newSecretToken('brt');
  const expiresAt = now + CLI_TOKEN_TTL_MS;
  await db.transaction(async (tx) => {
    const id = newId('tok');
    await insertApiToken(tx, { id, userId: user.id, name: 'cli login', tokenHash: sha256Hex(token), scope: 'admin', kind: 'cli', createdAt: now, expiresAt });
    if (!user.totpConfirmed) await confirmTotp(tx, user.id);
    await appendAudit(tx, { actor: user.id, sourceIp, action: 'auth.login', target: user.email, result: 'ok', detail: { tokenId: id } }, now);
  });
  return { token, expiresAt, userId: user.id };
}
