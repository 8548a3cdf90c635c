import { manifestMismatch, manifestScopeProblem, parseManifest, type SignedAction } from '../../shared/jobManifest.js';

/**
 * Why a signed manifest cannot serve the job it comes with, or undefined. The server has
 * no update key and checks no signature; this only turns a manifest that every node would
 * refuse (another command, another node, expired) into an immediate answer. The node
 * checks it all again, with the signature.
 */
export function signedManifestProblem(text: string, action: SignedAction, nodeIds: readonly string[], now: number): string | undefined {
  const m = parseManifest(text);
  if (typeof m === 'string') return m;
  const mismatch = manifestMismatch(m, action);
  if (mismatch) return mismatch;
  for (const nodeId of nodeIds) {
    const problem = manifestScopeProblem(m, nodeId, now);
    if (problem) return problem;
  }
  return undefined;
}
