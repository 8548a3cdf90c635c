import { setTimeout as sleep } from 'node:timers/promises';

/** Options of a poll. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that.
 * Fails after `timeoutMs` naming `what` and the last error or value seen, so a stuck
 * e2e test says what it was waiting for.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, o: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${o.timeoutMs ?? 15_000} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(o.intervalMs ?? 200);
  }
}

/**
 * Polls `check` every 100 ms until it holds, or rejects after `ms`. Unlike waitFor, an
 * error thrown by `check` fails the wait at once (the tests that use it want that).
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}
