import { BurrowError } from '../../shared/errors.js';
import type { Queryable } from '../store/database.js';
import { getThrottle, pruneThrottle, putThrottle } from '../store/throttleStore.js';

/** Limits of the sign-in throttle. */
export interface ThrottlePolicy {
  /** Failures before each further attempt must wait (1 s, 2 s, 4 s … up to maxDelayMs). */
  freeFailures: number;
  maxDelayMs: number;
  /** Failures that lock the key, and for how long. */
  lockAfter: number;
  lockMs: number;
  /** Failures older than this are forgotten. */
  forgetMs: number;
}

/** Per account: a person mistyping gets a few free tries, a guesser gets locked out. */
export const ACCOUNT_POLICY: ThrottlePolicy = { freeFailures: 3, maxDelayMs: 60_000, lockAfter: 10, lockMs: 15 * 60_000, forgetMs: 3_600_000 };
/** Per source address: looser, since offices share one address. */
export const IP_POLICY: ThrottlePolicy = { freeFailures: 10, maxDelayMs: 60_000, lockAfter: 50, lockMs: 15 * 60_000, forgetMs: 3_600_000 };

/** How long a key must still wait before its next attempt (0 = may try now). */
export function waitMs(p: ThrottlePolicy, t: { failures: number; lastFailureAt: number; lockedUntil: number } | undefined, now: number): number {
  if (!t || now - t.lastFailureAt > p.forgetMs) return 0;
  if (t.lockedUntil > now) return t.lockedUntil - now;
  if (t.failures < p.freeFailures) return 0;
  const delay = Math.min(p.maxDelayMs, 1000 * 2 ** (t.failures - p.freeFailures));
  return Math.max(0, t.lastFailureAt + delay - now);
}

/** Per source address on /v1/enroll: a node enrolls once, so a few mistakes are plenty. */
export const ENROLL_IP_POLICY: ThrottlePolicy = { freeFailures: 5, maxDelayMs: 60_000, lockAfter: 30, lockMs: 15 * 60_000, forgetMs: 3_600_000 };

/** Failures older than this count under no policy, so their records can go. */
const FORGOTTEN_AFTER_MS = Math.max(ACCOUNT_POLICY.forgetMs, IP_POLICY.forgetMs, ENROLL_IP_POLICY.forgetMs);

/** Throws RATE_LIMITED if any of the keys must still wait; `what` names the attempts in the message. */
export async function checkThrottle(q: Queryable, keys: readonly [string, ThrottlePolicy][], now: number, what = 'sign-ins'): Promise<void> {
  for (const [key, policy] of keys) {
    const t = await getThrottle(q, key);
    const wait = waitMs(policy, t, now);
    if (wait > 0) {
      const locked = t !== undefined && t.lockedUntil > now;
      throw new BurrowError('RATE_LIMITED', `Too many failed ${what}${locked ? '; temporarily locked' : ''}. Try again in ${Math.ceil(wait / 1000)} s.`);
    }
  }
}

/**
 * Counts one failure against each key. A running lock is kept as it is, never extended: a
 * lock must end lockMs after it began, whatever is tried meanwhile.
 */
export async function recordFailure(q: Queryable, keys: readonly [string, ThrottlePolicy][], now: number): Promise<void> {
  for (const [key, policy] of keys) {
    const t = await getThrottle(q, key);
    const fresh = t && now - t.lastFailureAt <= policy.forgetMs ? t.failures : 0;
    const failures = fresh + 1;
    const lockedUntil = t && t.lockedUntil > now ? t.lockedUntil : failures >= policy.lockAfter ? now + policy.lockMs : 0;
    await putThrottle(q, { key, failures, lastFailureAt: now, lockedUntil });
  }
  await pruneThrottle(q, now - FORGOTTEN_AFTER_MS, now);
}
