import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../shared/secrets.js';

/** How many recovery codes a user gets. */
export const RECOVERY_CODE_COUNT = 10;

/** Normalizes what a person types: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

/** Hash of a recovery code as stored (80 random bits each, so a plain hash suffices). */
export function hashRecoveryCode(code: string): string {
  return sha256Hex(`recovery:${normalizeRecoveryCode(code)}`);
}

/** New codes like `4f1c9-a2b77-de01c-5b3a9`, shown once. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => randomBytes(10).toString('hex').match(/.{5}/g)?.join('-') ?? '');
}
