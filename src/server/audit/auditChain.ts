import { createHmac, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../../shared/secrets.js';

/** The hash before the first entry. */
export const GENESIS = '0'.repeat(64);

/** One audit entry as the chain covers it, whether read from the database or from an export. */
export interface ChainEntry {
  seq: number;
  at: number;
  actor: string;
  actorEmail: string | null;
  sourceIp: string | null;
  action: string;
  objectType: string | null;
  target: string | null;
  result: string;
  /** The detail exactly as stored (JSON text). */
  detail: string;
  groupId: string | null;
  prevHash: string;
  hash: string;
  /** HMAC-SHA-256 of `hash` under the audit MAC key; null for entries written before sealing started. */
  mac: string | null;
}

/**
 * The hash of an entry chained to `prev`. Sealed entries (those written with a MAC key)
 * also cover the actor's email and the object's type; entries written before sealing
 * started keep the older form so they still verify.
 */
export function entryHash(prev: string, e: Omit<ChainEntry, 'prevHash' | 'hash' | 'mac'>, sealed: boolean): string {
  const fields = sealed
    ? ['v2', e.seq, e.at, e.actor, e.actorEmail, e.sourceIp, e.action, e.objectType, e.target, e.result, e.detail, e.groupId]
    : [e.seq, e.at, e.actor, e.sourceIp, e.action, e.target, e.result, e.detail, e.groupId];
  return sha256Hex(`${prev}\n${JSON.stringify(fields)}`);
}

/** The MAC that seals an entry's hash: without the key, a recomputed chain cannot carry valid MACs. */
export function entryMac(key: Buffer, hash: string): string {
  return createHmac('sha256', key).update(`burrow-audit-mac\n${hash}`).digest('hex');
}

/** Whether `mac` is the MAC of `hash` under `key` (compared in constant time). */
export function macMatches(key: Buffer, hash: string, mac: string | null): boolean {
  if (mac === null || !/^[0-9a-f]{64}$/.test(mac)) return false;
  return timingSafeEqual(Buffer.from(entryMac(key, hash), 'hex'), Buffer.from(mac, 'hex'));
}

/** The object type an entry concerns, from its target id's prefix or else its action's first word. */
export function objectTypeOf(action: string, target: string | null | undefined): string | null {
  const prefix = /^([a-z]+)_/.exec(target ?? '')?.[1];
  const byPrefix: Record<string, string> = { nd: 'node', usr: 'user', ses: 'session', tok: 'token', et: 'enroll-token', grp: 'group', job: 'job', sqr: 'session-request', rec: 'recording' };
  if (prefix && byPrefix[prefix]) return byPrefix[prefix];
  if (target && target.includes('@')) return 'user';
  const word = action.split('.')[0] ?? '';
  const byAction: Record<string, string> = { auth: 'user', user: 'user', node: 'node', session: 'session', shell: 'node', token: 'token', 'enroll-token': 'enroll-token', group: 'group', job: 'job', server: 'server', audit: 'audit', api: 'route', tunnel: 'node', recording: 'recording' };
  return byAction[word] ?? null;
}
