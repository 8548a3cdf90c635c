import { createHmac } from 'node:crypto';

/**
 * An independent RFC 4226/6238 TOTP (HMAC-SHA1) for tests, so the product's TOTP
 * (speakeasy) is checked against code that does not share its implementation.
 */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Decodes RFC 4648 base32 (case-insensitive, padding and spaces ignored). */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The HOTP value of `key` at `counter`, zero-padded to `digits`. */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** The 30-second step of a unix time in milliseconds. */
export function stepOf(ms: number): number {
  return Math.floor(ms / 1000 / 30);
}

/** The 6-digit code of a base32 secret for time step `step`. */
export function totpAtStep(base32Secret: string, step: number): string {
  return hotp(base32Decode(base32Secret), step);
}
