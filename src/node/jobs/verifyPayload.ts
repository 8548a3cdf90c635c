import { createHash } from 'node:crypto';
import type { JobWire } from '../../shared/protocol.js';
import { constantTimeEqual } from '../../shared/secrets.js';

/** The setuid and setgid bits: never set by a push, whatever the server asks. */
export const SETID_BITS = 0o6000;

/**
 * Why a job's file must not be used, or undefined when it may. Runs before anything is
 * written or executed: the SHA-256 must match, and a push may not ask for a setuid or
 * setgid file (the agent runs as root; such a file would hand root to any local user).
 */
export function payloadProblem(header: JobWire, payload: Buffer): string | undefined {
  if (header.kind === 'command') return undefined;
  if (header.kind === 'push' && ((header.mode ?? 0) & SETID_BITS) !== 0) {
    return `a push may not create a setuid or setgid file (mode ${(header.mode ?? 0).toString(8)}); refusing it`;
  }
  if (!header.sha256) return 'the job carries no SHA-256 for its file';
  const actual = createHash('sha256').update(payload).digest('hex');
  if (!constantTimeEqual(actual, header.sha256)) return `the file's SHA-256 is ${actual}, not the expected ${header.sha256}; refusing it`;
  return undefined;
}
