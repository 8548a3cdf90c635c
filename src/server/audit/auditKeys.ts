import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BurrowError } from '../../shared/errors.js';
import { exists, writeFileAtomic } from '../../shared/secureFiles.js';

/** Where the audit keys and checkpoints live in a server home. */
export function auditPaths(home: string) {
  return {
    macKey: join(home, 'audit-mac.key'),
    signingKey: join(home, 'audit-signing.key'),
    publicKey: join(home, 'audit-signing.pub'),
    checkpoints: join(home, 'audit-checkpoints.jsonl'),
  };
}

/** The keys that seal and anchor the audit log; none of them is in the database. */
export interface AuditKeys {
  /** HMAC-SHA-256 key for each entry's MAC. */
  macKey: Buffer;
  /** ed25519 key that signs checkpoints. */
  signingKey: KeyObject;
  /** Its public half, PEM: what an auditor needs to check checkpoints. */
  publicKeyPem: string;
  /** Whether the MAC key was made just now (a home from before sealing, or a new one). */
  createdMacKey: boolean;
}

/**
 * Loads the audit keys from a server home, creating the missing ones (mode 0600): `server
 * init` makes them, and `server start` makes them for homes made by older versions.
 */
export async function loadAuditKeys(home: string): Promise<AuditKeys> {
  const p = auditPaths(home);
  const createdMacKey = !(await exists(p.macKey));
  if (createdMacKey) await writeFileAtomic(p.macKey, `${randomBytes(32).toString('hex')}\n`, 0o600);
  if (!(await exists(p.signingKey))) {
    const pair = generateKeyPairSync('ed25519');
    await writeFileAtomic(p.signingKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    await writeFileAtomic(p.publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o600);
  }
  const macHex = (await readFile(p.macKey, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/.test(macHex)) throw new BurrowError('CONFIG_INVALID', `${p.macKey} is not an audit MAC key (64 hex digits).`);
  const signingKey = createPrivateKey(await readFile(p.signingKey, 'utf8'));
  const publicKeyPem = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }) as string;
  return { macKey: Buffer.from(macHex, 'hex'), signingKey, publicKeyPem, createdMacKey };
}
