import speakeasy from 'speakeasy';

/** RFC 6238 defaults that Google Authenticator expects. */
const STEP_SECONDS = 30;

/** A new base32 TOTP secret. */
export function newTotpSecret(): string {
  return speakeasy.generateSecret({ length: 20 }).base32;
}

/** The otpauth:// URI an authenticator app reads from a QR code. */
export function totpUri(secret: string, account: string, issuer = 'burrow'): string {
  return speakeasy.otpauthURL({ secret, encoding: 'base32', label: `${issuer}:${account}`, issuer, period: STEP_SECONDS });
}

/**
 * The time step a code belongs to if it is valid now (±1 step of clock skew), else
 * undefined. The caller must still refuse a step already used (replay).
 */
export function matchTotp(secret: string, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const time = Math.floor(nowMs / 1000);
  const found = speakeasy.totp.verifyDelta({ secret, encoding: 'base32', token: code, window: 1, time, step: STEP_SECONDS });
  if (!found) return undefined;
  return Math.floor(time / STEP_SECONDS) + found.delta;
}
