import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { ParsedKey } from 'ssh2';
import { parseSshKey, publicKeyBlob } from './sshKeys.js';

/**
 * ssh2 keeps a parsed key as PEM text and hands that to `crypto.sign` on every signature,
 * so OpenSSL decodes the key again each time: ten times the cost of the ed25519 signature
 * itself (≈400 µs against ≈40 µs). The server signs once per tunnel handshake with its host
 * key and an agent once per connect with its node key, so in a reconnect storm that
 * parsing was a large part of the handshake. The key returned here signs with a key object
 * decoded once. Only ed25519 (the only kind burrow makes) is sped up; others sign as before.
 */
export function signingKey(privatePem: string): ParsedKey {
  const key = parseSshKey(privatePem);
  if (key instanceof Error) throw new Error(`cannot parse the SSH private key: ${key.message}`);
  if (key.type !== 'ssh-ed25519') return key;
  const keyObject = createPrivateKey(key.getPrivatePEM());
  // ssh2 expects an Error back, not thrown.
  const fastSign = (data: Buffer | string): Buffer | Error => {
    try {
      return sign(null, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
    } catch (err) {
      return err as Error;
    }
  };
  return Object.assign(key, { sign: fastSign });
}

/** The 32-byte key inside an ssh-ed25519 public key blob (string "ssh-ed25519", string key). */
function ed25519FromBlob(blob: Buffer): KeyObject | undefined {
  const typeLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (typeLen !== 11 || blob.toString('latin1', 4, 15) !== 'ssh-ed25519' || blob.length !== 51 || blob.readUInt32BE(15) !== 32) return undefined;
  const x = blob.subarray(19).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/**
 * Whether `signature` over `data` was made by the key of an `algo AAAA…` line: ed25519
 * straight from the blob's bytes, other kinds through ssh2's parser.
 */
export function verifySshSignature(line: string, data: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const ed = ed25519FromBlob(publicKeyBlob(line)?.blob ?? Buffer.alloc(0));
  if (ed) return verify(null, data, ed, signature);
  const key = parseSshKey(line);
  if (key instanceof Error) return false;
  return key.verify(data, signature, hashAlgo) === true;
}
