import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** A statement, signed by the server, that the audit log held `seq` entries ending in `head` at `at`. */
export const checkpointSchema = z.object({
  seq: z.number().int().nonnegative(),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.number().int(),
  /** The first entry that carries a MAC (where sealing started); null while none does. */
  macFrom: z.number().int().positive().nullable(),
  /** base64 ed25519 signature over the four fields above. */
  sig: z.string(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

function signedBytes(c: Omit<Checkpoint, 'sig'>): Buffer {
  return Buffer.from(`burrow-audit-checkpoint\n${JSON.stringify([c.seq, c.head, c.at, c.macFrom])}`);
}

/** Signs a checkpoint with the server's audit signing key (ed25519). */
export function signCheckpoint(key: KeyObject, c: Omit<Checkpoint, 'sig'>): Checkpoint {
  return { ...c, sig: sign(null, signedBytes(c), key).toString('base64') };
}

/** Whether a checkpoint's signature is valid under `publicKey`. */
export function checkpointSignatureValid(publicKey: KeyObject, c: Checkpoint): boolean {
  try {
    return verify(null, signedBytes(c), publicKey, Buffer.from(c.sig, 'base64'));
  } catch {
    return false;
  }
}

/** The fingerprint an auditor compares with the copy of the public key they trust: SHA256 of the key's DER, base64. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/** Reads checkpoints from JSON-lines text, skipping lines that are not checkpoints (a torn last line after a crash). */
export function parseCheckpointLines(text: string): Checkpoint[] {
  const out: Checkpoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = checkpointSchema.safeParse(JSON.parse(line));
      if (r.success) out.push(r.data);
    } catch {
      // A partial line is not a checkpoint; verification judges the ones that parse.
    }
  }
  return out;
}
