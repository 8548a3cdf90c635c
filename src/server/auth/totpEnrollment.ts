import QRCode from 'qrcode';
import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { SecretBox } from '../../shared/secretBox.js';
import { appendAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { replaceRecoveryCodes } from '../store/recoveryCodeStore.js';
import { claimTotpStep, confirmTotp, getUser, setTotpSecret } from '../store/userStore.js';
import { hashRecoveryCode, newRecoveryCodes } from './recoveryCodes.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';

/** What a person needs to add burrow to an authenticator app. */
export interface TotpSetup {
  secret: string;
  uri: string;
  /** The URI as an SVG QR code, for the console. */
  qrSvg: string;
}

/** Starts (or restarts) TOTP enrollment: a new secret, stored sealed, not yet confirmed. */
export async function beginTotpEnrollment(db: Database, box: SecretBox, userId: string): Promise<TotpSetup> {
  const user = await getUser(db, userId);
  if (!user) throw new BurrowError('NOT_FOUND', 'No such user.');
  if (user.totpConfirmed) throw new BurrowError('CONFLICT', 'An authenticator is already enrolled; an administrator can reset it.');
  const secret = newTotpSecret();
  await setTotpSecret(db, user.id, box.seal(secret, user.id));
  const uri = totpUri(secret, user.email);
  return { secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1 }) };
}

/** Confirms enrollment with a first code; returns recovery codes, shown this once. */
export async function confirmTotpEnrollment(db: Database, box: SecretBox, clock: Clock, userId: string, code: string, ip: string): Promise<string[]> {
  const user = await getUser(db, userId);
  if (!user?.totpSecretEnc) throw new BurrowError('CONFLICT', 'Start enrollment first (it shows the QR code).');
  if (user.totpConfirmed) throw new BurrowError('CONFLICT', 'The authenticator is already confirmed.');
  const now = clock.now();
  const step = matchTotp(box.open(user.totpSecretEnc, user.id), code, now);
  if (step === undefined) throw new BurrowError('TOTP_INVALID', 'The code does not match; check the time on your phone and try the next code.');
  const codes = newRecoveryCodes();
  await db.transaction(async (tx) => {
    if (!(await claimTotpStep(tx, user.id, step))) throw new BurrowError('TOTP_INVALID', 'That code was already used; wait for the next one.');
    await confirmTotp(tx, user.id);
    await replaceRecoveryCodes(tx, user.id, codes.map(hashRecoveryCode));
    await appendAudit(tx, { actor: user.id, sourceIp: ip, action: 'auth.totp-enroll', target: user.email, result: 'ok' }, now);
  });
  return codes;
}
