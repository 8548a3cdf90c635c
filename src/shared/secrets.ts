import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random identifier with a readable prefix, e.g. `nd_3f9a…`. */
export function newId(prefix: string, bytes = 9): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** A bearer secret with a prefix that says what it is (helps secret scanners and humans). */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

/** SHA-256 hex digest; how bearer tokens are stored (they carry 192 bits, so no salt needed). */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Compare digests so the lengths match and the length itself is not leaked by timing.
  return timingSafeEqual(createHash('sha256').update(ab).digest(), createHash('sha256').update(bb).digest()) && ab.length === bb.length;
}
