import type { Queryable } from './database.js';

/** Failed sign-ins recorded for one key (an account or a source address). */
export interface ThrottleRecord {
  key: string;
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

/** The record of a key, if it failed recently. */
export async function getThrottle(q: Queryable, key: string): Promise<ThrottleRecord | undefined> {
  const r = await q.get<{ key: string; failures: number; last_failure_at: number; locked_until: number }>('SELECT * FROM login_throttle WHERE key = ?', [key]);
  return r && { key: r.key, failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until };
}

/** Stores a key's record. */
export async function putThrottle(q: Queryable, t: ThrottleRecord): Promise<void> {
  await q.run(
    'INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?,?,?,?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until',
    [t.key, t.failures, t.lastFailureAt, t.lockedUntil],
  );
}

/** Forgets a key after a successful sign-in. */
export async function clearThrottle(q: Queryable, key: string): Promise<void> {
  await q.run('DELETE FROM login_throttle WHERE key = ?', [key]);
}

/** Forgets every key that starts with `prefix` (compared as text, so no LIKE wildcards apply). */
export async function clearThrottlePrefix(q: Queryable, prefix: string): Promise<void> {
  await q.run('DELETE FROM login_throttle WHERE substr(key, 1, ?) = ?', [prefix.length, prefix]);
}

/**
 * Forgets every key whose last failure is before `before` and that holds no lock at `now`:
 * failures that old count for nothing, and without this every email and address ever tried
 * would stay in the table for good.
 */
export async function pruneThrottle(q: Queryable, before: number, now: number): Promise<void> {
  await q.run('DELETE FROM login_throttle WHERE last_failure_at < ? AND locked_until <= ?', [before, now]);
}
