import { BurrowError } from '../../shared/errors.js';
import type { Queryable } from '../store/database.js';
import { clearThrottle, clearThrottlePrefix, getThrottle, putThrottle, type ThrottleRecord } from '../store/throttleStore.js';
import { ACCOUNT_POLICY, checkThrottle, IP_POLICY, recordFailure, waitMs } from './loginThrottle.js';

/*
 * Sign-in throttling, per account and per source address.
 *
 * Every failed step counts against the account: a wrong password, a wrong TOTP code, a wrong
 * recovery code. A right password does not forgive wrong codes; only a complete sign-in
 * (the last step passed) resets the account. After a few failures each attempt waits
 * (1 s, 2 s, … 60 s), after ten the account locks for 15 minutes.
 *
 * Such a lock must not become a way to keep the owner out: anyone can fail on purpose. So
 * the account's waits and lock apply to the addresses that failed on that account in the
 * last hour. An address with no recent failures there is still admitted, but only a few
 * times per lock window (CLEAN_ADMISSIONS per 15 minutes), so an attacker with many
 * addresses gets a handful of guesses per window rather than one per address; each wrong
 * one marks its address. Attempts the lock refuses are not counted and never extend it,
 * so a lock ends 15 minutes after it began. To keep the owner out for good an attacker must
 * spend fresh addresses every window, and an administrator's unlock ends it at once; the
 * owner's recovery codes are a second factor like TOTP and pass the same way.
 */

/** Attempts from addresses with no recent failures admitted per window while an account waits. */
export const CLEAN_ADMISSIONS = 6;
/** The window over which CLEAN_ADMISSIONS are counted. */
export const CLEAN_WINDOW_MS = ACCOUNT_POLICY.lockMs;

/** The throttle keys one sign-in attempt is counted under. */
export interface SignInKeys {
  /** Every failure of the account, from anywhere. */
  account: string;
  /** Failures of this address on this account: a "recent failure" marks the address. */
  pair: string;
  /** Every failure from this address, on any account. */
  address: string;
  /** Admissions of clean addresses while the account waits. */
  clean: string;
}

const accountPrefix = (email: string) => email.toLowerCase();

/** The keys of an attempt on `email` from `ip` (email case does not matter). */
export function signInKeys(email: string, ip: string): SignInKeys {
  const e = accountPrefix(email);
  return { account: `user:${e}`, pair: `pair:${e}|${ip}`, address: `ip:${ip}`, clean: `clean:${e}` };
}

const recent = (t: ThrottleRecord | undefined, now: number) => t !== undefined && t.failures > 0 && now - t.lastFailureAt <= ACCOUNT_POLICY.forgetMs;

function refused(account: ThrottleRecord | undefined, wait: number, now: number): BurrowError {
  const locked = account !== undefined && account.lockedUntil > now;
  return new BurrowError('RATE_LIMITED', `Too many failed sign-ins${locked ? '; temporarily locked' : ''}. Try again in ${Math.ceil(wait / 1000)} s.`);
}

/** Counts one admission of a clean address; false when the window's admissions are spent. */
async function admitClean(q: Queryable, key: string, now: number): Promise<boolean> {
  const t = await getThrottle(q, key);
  const inWindow = t !== undefined && now - t.lastFailureAt < CLEAN_WINDOW_MS;
  if (inWindow && t.failures >= CLEAN_ADMISSIONS) return false;
  await putThrottle(q, inWindow ? { ...t, failures: t.failures + 1 } : { key, failures: 1, lastFailureAt: now, lockedUntil: 0 });
  return true;
}

/** One admitted step: what its up-front failure replaced, so a pass can take it back exactly. */
export interface SignInStep {
  keys: SignInKeys;
  at: number;
  prior: Map<string, ThrottleRecord | undefined>;
}

/**
 * Admits one sign-in step (password, TOTP or recovery code) or throws RATE_LIMITED, and
 * counts it as a failure up front: check and count happen in one transaction, so a burst of
 * concurrent guesses is throttled exactly like the same guesses made one after another.
 */
export async function beginSignInStep(q: Queryable, k: SignInKeys, now: number): Promise<SignInStep> {
  const account = await getThrottle(q, k.account);
  const wait = waitMs(ACCOUNT_POLICY, account, now);
  // The account's wait binds the addresses that failed on it; a clean one may try, a few times.
  if (wait > 0 && recent(await getThrottle(q, k.pair), now)) throw refused(account, wait, now);
  await checkThrottle(q, [[k.address, IP_POLICY]], now);
  if (wait > 0 && !(await admitClean(q, k.clean, now))) throw refused(account, wait, now);
  const keys = [k.account, k.pair, k.address];
  const prior = new Map<string, ThrottleRecord | undefined>();
  for (const key of keys) prior.set(key, await getThrottle(q, key));
  await recordFailure(q, [[k.account, ACCOUNT_POLICY], [k.pair, ACCOUNT_POLICY], [k.address, IP_POLICY]], now);
  return { keys: k, at: now, prior };
}

/**
 * Takes back the failure counted up front for a step that passed; the account's earlier
 * failures stay. When nothing else was counted meanwhile the record goes back to what it
 * was (so the pass neither restarts a delay nor starts a lock); otherwise one failure less.
 */
export async function signInStepPassed(q: Queryable, step: SignInStep): Promise<void> {
  for (const [key, before] of step.prior) {
    const t = await getThrottle(q, key);
    if (!t) continue;
    const onlyOurs = t.lastFailureAt === step.at && t.failures === (before && step.at - before.lastFailureAt <= ACCOUNT_POLICY.forgetMs ? before.failures : 0) + 1;
    if (onlyOurs && before) await putThrottle(q, before);
    else if (onlyOurs) await clearThrottle(q, key);
    else await putThrottle(q, { ...t, failures: Math.max(0, t.failures - 1) });
  }
}

/** A complete sign-in: the account and this address's record on it start afresh. */
export async function signInCompleted(q: Queryable, k: SignInKeys): Promise<void> {
  await clearThrottle(q, k.account);
  await clearThrottle(q, k.pair);
  await clearThrottle(q, k.clean);
}

/** Clears every sign-in throttle of an account, from every address (an administrator's unlock). */
export async function unlockSignIn(q: Queryable, email: string): Promise<void> {
  const e = accountPrefix(email);
  await clearThrottle(q, `user:${e}`);
  await clearThrottle(q, `clean:${e}`);
  await clearThrottlePrefix(q, `pair:${e}|`);
}
