import type { KeyObject } from 'node:crypto';
import { entryHash, GENESIS, macMatches, type ChainEntry } from './auditChain.js';
import { checkpointSignatureValid, type Checkpoint } from './auditCheckpoint.js';

/**
 * What verification found wrong: an entry edited in place (`altered`), one deleted from the
 * middle (`missing`), entries rewritten with the chain recomputed after them (`recomputed`),
 * the newest entries deleted (`truncated`), or a checkpoint whose signature fails (`bad-checkpoint`).
 */
export type AuditFinding = 'altered' | 'missing' | 'recomputed' | 'truncated' | 'bad-checkpoint';

/** The outcome of checking the audit log (or an export of it). */
export type AuditVerdict =
  | {
      ok: true;
      entries: number;
      /** The first entry carrying a MAC; earlier entries are checked by their hash chain alone. */
      sealedFrom: number | null;
      /** Whether MACs were checked (only the server holds the MAC key). */
      macsChecked: boolean;
      checkpoints: number;
      /** The newest checkpoint: entries after it are chained but not yet anchored outside the log. */
      lastCheckpoint: { seq: number; at: string } | null;
    }
  | { ok: false; entries: number; badSeq: number; finding: AuditFinding; reason: string };

/** What to verify and with which keys. */
export interface VerifyInput {
  /** Entries in ascending sequence. */
  entries: readonly ChainEntry[];
  checkpoints: readonly Checkpoint[];
  publicKey: KeyObject;
  /** The MAC key; absent offline, where only hashes and signed checkpoints can be checked. */
  macKey?: Buffer;
  /** The entries start at entry 1 (the whole log); otherwise the first entry's previous hash is taken as given. */
  fromGenesis: boolean;
}

type Failure = Extract<AuditVerdict, { ok: false }>;
const iso = (ms: number) => new Date(ms).toISOString();

function chainFailure(input: VerifyInput, macFrom: number | null): Failure | undefined {
  const { entries, macKey } = input;
  const fail = (badSeq: number, finding: AuditFinding, reason: string): Failure => ({ ok: false, entries: entries.length, badSeq, finding, reason });
  let prev = input.fromGenesis ? GENESIS : (entries[0]?.prevHash ?? GENESIS);
  let expected = input.fromGenesis ? 1 : (entries[0]?.seq ?? 1);
  for (const e of entries) {
    if (e.seq !== expected) return fail(expected, 'missing', 'entry is missing');
    if (e.prevHash !== prev) return fail(e.seq, 'altered', 'previous hash does not match');
    const sealed = macFrom !== null && e.seq >= macFrom;
    if (sealed && e.mac === null) {
      return fail(e.seq, 'recomputed', `entry has no MAC although sealing started at entry ${macFrom}: the chain was recomputed without the MAC key`);
    }
    if (entryHash(prev, e, sealed) !== e.hash) return fail(e.seq, 'altered', 'entry was altered');
    if (sealed && macKey && !macMatches(macKey, e.hash, e.mac)) {
      return fail(e.seq, 'recomputed', 'its MAC does not match: the entry was rewritten and the chain recomputed without the MAC key');
    }
    prev = e.hash;
    expected++;
  }
  return undefined;
}

function checkpointFailure(input: VerifyInput, macFrom: number | null): Failure | undefined {
  const { entries } = input;
  const fail = (badSeq: number, finding: AuditFinding, reason: string): Failure => ({ ok: false, entries: entries.length, badSeq, finding, reason });
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const first = entries[0]?.seq ?? 1;
  const last = entries.at(-1)?.seq ?? 0;
  for (const c of [...input.checkpoints].sort((a, b) => a.seq - b.seq)) {
    if (c.seq > last) {
      return fail(last + 1, 'truncated', `the checkpoint signed at ${iso(c.at)} covers entries up to ${c.seq}, but the log ends at entry ${last}: entries ${last + 1}-${c.seq} were deleted`);
    }
    if (c.seq < first) continue;
    if (bySeq.get(c.seq)?.hash === c.head) continue;
    // Entries whose MACs all check out were written by the server itself: a head that differs
    // means the signed entries were deleted and the server then wrote new ones in their place.
    if (input.macKey && macFrom !== null && c.seq >= macFrom) {
      return fail(c.seq, 'truncated', `it does not match the checkpoint signed at ${iso(c.at)}: the entries up to ${c.seq} were deleted and the server has since written new ones in their place`);
    }
    return fail(c.seq, 'recomputed', `it does not match the checkpoint signed at ${iso(c.at)}: entries up to it were rewritten and the chain recomputed`);
  }
  return undefined;
}

/**
 * Checks an audit log against its hash chain, its MACs (when the key is at hand) and its
 * signed checkpoints, and names the first thing wrong.
 */
export function verifyChain(input: VerifyInput): AuditVerdict {
  const { entries, checkpoints } = input;
  const forged = checkpoints.find((c) => !checkpointSignatureValid(input.publicKey, c));
  if (forged) {
    return { ok: false, entries: entries.length, badSeq: forged.seq, finding: 'bad-checkpoint', reason: `the checkpoint dated ${iso(forged.at)} for it has an invalid signature` };
  }
  // Where sealing started is taken from the signed checkpoints first: an insider who strips
  // every MAC and recomputes the chain cannot move it.
  // (A loop, not Math.min(...): a long-lived server has many thousands of checkpoints.)
  let signedFrom: number | null = null;
  for (const c of checkpoints) if (c.macFrom !== null && (signedFrom === null || c.macFrom < signedFrom)) signedFrom = c.macFrom;
  const macFrom = signedFrom ?? entries.find((e) => e.mac !== null)?.seq ?? null;
  const failure = chainFailure(input, macFrom) ?? checkpointFailure(input, macFrom);
  if (failure) return failure;
  const newest = checkpoints.reduce<Checkpoint | undefined>((a, c) => (a === undefined || c.seq > a.seq ? c : a), undefined);
  return {
    ok: true,
    entries: entries.length,
    sealedFrom: macFrom,
    macsChecked: input.macKey !== undefined,
    checkpoints: checkpoints.length,
    lastCheckpoint: newest ? { seq: newest.seq, at: iso(newest.at) } : null,
  };
}
