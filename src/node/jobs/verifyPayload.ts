import { createHash, createPublicKey, verify } from 'node:crypto';
import type { JobWire } from '../../shared/protocol.js';
import { constantTimeEqual } from '../../shared/secrets.js';

/**
 * Why a job's file must not be used, or undefined when it may. Runs before anything is
 * written or executed: the SHA-256 must match, and when the operator configured an update
 * key, an update must carry a valid ed25519 signature over the file by that key.
 */
export function payloadProblem(header: JobWire, payload: Buffer, updateKey: string | undefined): string | undefined {
  if (header.kind === 'command') return undefined;
  if (!header.sha256) return 'the job carries no SHA-256 for its file';
  const actual = createHash('sha256').update(payload).digest('hex');
  if (!constantTimeEqual(actual, header.sha256)) return `the file's SHA-256 is ${actual}, not the expected ${header.sha256}; refusing it`;
  if (header.kind !== 'update' || updateKey === undefined) return undefined;
  if (!header.signature) return 'this node accepts only signed updates, and this one is not signed';
  let ok: boolean;
  try {
    ok = verify(null, payload, createPublicKey(updateKey), Buffer.from(header.signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? undefined : 'the update signature does not verify with the trusted update key; refusing it';
}
