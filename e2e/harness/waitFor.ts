import { setTimeout as sleep } from 'node:timers/promises';

/** Options of a poll. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** An error thrown by the probe fails the wait at once instead of counting as "not yet". */
  stopOnError?: boolean;
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
      if (o.stopOnError) throw err;
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${o.timeoutMs ?? 15_000} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(o.intervalMs ?? 200);
  }
}

/** Polls `check` every 100 ms until it holds, or rejects after `ms`; an error thrown by `check` fails at once. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  await waitFor(what, async () => (await check()) || undefined, { timeoutMs: ms, intervalMs: 100, stopOnError: true });
}
