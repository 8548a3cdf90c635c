import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { BurrowError } from '../../shared/errors.js';
import type { ChainEntry } from './auditChain.js';
import { checkpointSchema, publicKeyFingerprint, type Checkpoint } from './auditCheckpoint.js';
import { verifyChain, type AuditVerdict } from './auditVerify.js';

/** The first line of a JSON-lines export: what an auditor needs besides the entries. */
export interface ExportHeader {
  type: 'header';
  format: 'burrow-audit-export';
  version: 1;
  exportedAt: string;
  /** The checkpoint signing key (PEM); compare its fingerprint with a copy you trust. */
  publicKey: string;
  keyFingerprint: string;
  /** True when entries were picked by actor, action, object or group: such an export is not one stretch of the chain. */
  filtered: boolean;
}

/** One entry line of an export: the API's view plus the chain fields. */
export function entryLine(e: ChainEntry): Record<string, unknown> {
  return {
    type: 'entry',
    seq: e.seq,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    actorEmail: e.actorEmail,
    sourceIp: e.sourceIp,
    action: e.action,
    objectType: e.objectType,
    target: e.target,
    result: e.result,
    group: e.groupId,
    detail: JSON.parse(e.detail) as unknown,
    prevHash: e.prevHash,
    hash: e.hash,
    mac: e.mac,
  };
}

/** The JSON-lines text of an export: header, entries oldest first, then the checkpoints that bear on them. */
export function exportText(h: Omit<ExportHeader, 'type' | 'format' | 'version' | 'keyFingerprint'>, entries: readonly ChainEntry[], checkpoints: readonly Checkpoint[]): string {
  const header: ExportHeader = { type: 'header', format: 'burrow-audit-export', version: 1, ...h, keyFingerprint: publicKeyFingerprint(h.publicKey) };
  const lines = [header, ...entries.map(entryLine), ...checkpoints.map((c) => ({ type: 'checkpoint', ...c }))];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

const nullableString = z.string().nullable();
const entrySchema = z.object({
  type: z.literal('entry'),
  seq: z.number().int().positive(),
  at: z.string().refine((v) => !Number.isNaN(Date.parse(v))),
  actor: z.string(),
  actorEmail: nullableString,
  sourceIp: nullableString,
  action: z.string(),
  objectType: nullableString,
  target: nullableString,
  result: z.string(),
  group: nullableString,
  detail: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
  mac: nullableString,
});
const headerSchema = z.object({ type: z.literal('header'), format: z.literal('burrow-audit-export'), publicKey: z.string(), filtered: z.boolean() });

/** What offline verification of an export found, and with which key. */
export interface OfflineVerdict {
  verdict: AuditVerdict;
  keyFingerprint: string;
}

/**
 * Verifies an export without the server: each entry's hash, the links between entries, and
 * the signed checkpoints. The MAC key never leaves the server, so MACs are not checked here;
 * what anchors the entries is the checkpoints, signed by a key the export cannot re-sign.
 */
export function verifyExport(text: string, trustedPublicKeyPem?: string): OfflineVerdict {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parsed = lines.map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new BurrowError('VALIDATION', `Line ${i + 1} of the export is not JSON.`);
    }
  });
  const header = headerSchema.safeParse(parsed[0]);
  if (!header.success) throw new BurrowError('VALIDATION', 'This is not a burrow audit export in JSON lines (its first line is not the export header).');
  if (header.data.filtered) throw new BurrowError('VALIDATION', 'This export was filtered by actor, action, object or group, so it is not one stretch of the chain; export without those filters to verify it offline.');
  const pem = trustedPublicKeyPem ?? header.data.publicKey;
  if (trustedPublicKeyPem !== undefined && publicKeyFingerprint(trustedPublicKeyPem) !== publicKeyFingerprint(header.data.publicKey)) {
    throw new BurrowError('CONFLICT', 'The export names another signing key than the one you trust: its checkpoints cannot be relied on.');
  }
  const entries: ChainEntry[] = [];
  const checkpoints: Checkpoint[] = [];
  parsed.slice(1).forEach((value, i) => {
    const kind = (value as { type?: unknown } | null)?.type;
    if (kind === 'checkpoint') {
      const c = checkpointSchema.safeParse(value);
      if (!c.success) throw new BurrowError('VALIDATION', `Line ${i + 2} of the export is not a valid checkpoint.`);
      checkpoints.push(c.data);
      return;
    }
    const e = entrySchema.safeParse(value);
    if (!e.success) throw new BurrowError('VALIDATION', `Line ${i + 2} of the export is not a valid entry.`);
    const v = e.data;
    entries.push({ seq: v.seq, at: Date.parse(v.at), actor: v.actor, actorEmail: v.actorEmail, sourceIp: v.sourceIp, action: v.action, objectType: v.objectType, target: v.target, result: v.result, detail: JSON.stringify(v.detail), groupId: v.group, prevHash: v.prevHash, hash: v.hash, mac: v.mac });
  });
  entries.sort((a, b) => a.seq - b.seq);
  const verdict = verifyChain({ entries, checkpoints, publicKey: createPublicKey(pem), fromGenesis: entries[0]?.seq === 1 });
  return { verdict, keyFingerprint: publicKeyFingerprint(pem) };
}
