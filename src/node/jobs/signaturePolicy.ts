import { createPublicKey, verify } from 'node:crypto';
import { manifestMismatch, manifestScopeProblem, parseManifest, type JobManifest } from '../../shared/jobManifest.js';
import type { JobWire } from '../../shared/protocol.js';

/** Which jobs a node with an update key wants signed: only updates, or every job. */
export type SigningPolicy = 'updates' | 'all';

/** What a node checks job signatures against. */
export interface SigningRules {
  /** The trusted ed25519 public key (PEM); without one nothing needs a signature. */
  updateKey: string | undefined;
  require: SigningPolicy;
  /** This node's id, which a manifest must name. */
  nodeId: string;
}

/** Refused with a reason, or allowed (with the verified manifest when the job was signed). */
export type SignatureVerdict = { problem: string } | { manifest: JobManifest | undefined };

/**
 * Whether a job may run under the operator's signing rules, before anything is written or
 * run. A signed job is checked even where the policy does not ask for a signature: the
 * signature must verify over the manifest, every pinned field must equal what the job
 * asks for, and the manifest must name this node and not have expired.
 */
export function checkSignature(header: JobWire, rules: SigningRules, now: number): SignatureVerdict {
  if (rules.updateKey === undefined) return { manifest: undefined };
  if (header.manifest === undefined || header.signature === undefined) {
    if (rules.require === 'all') return { problem: 'this node accepts only signed jobs, and this one is not signed' };
    if (header.kind === 'update') return { problem: 'this node accepts only signed updates, and this one is not signed' };
    return { manifest: undefined };
  }
  let ok: boolean;
  try {
    ok = verify(null, Buffer.from(header.manifest, 'utf8'), createPublicKey(rules.updateKey), Buffer.from(header.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) return { problem: 'the signature does not verify with the trusted update key; refusing it' };
  const m = parseManifest(header.manifest);
  if (typeof m === 'string') return { problem: `${m}; refusing it` };
  const action = { kind: header.kind, command: header.command ?? null, path: header.path ?? null, mode: header.mode ?? null, sha256: header.sha256 ?? null };
  const why = manifestMismatch(m, action) ?? manifestScopeProblem(m, rules.nodeId, now);
  return why ? { problem: `${why}; refusing it` } : { manifest: m };
}
