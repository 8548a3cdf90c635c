import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TUNNEL_CLOSE } from '../shared/tunnelClose.js';
import { ReconnectPolicy, type AttemptOutcome } from './reconnectPolicy.js';

/** random() = 0.5 makes every jitter factor exactly 1. */
const policy = () => new ReconnectPolicy({ backoffInitialMs: 1_000, backoffMaxMs: 60_000, pendingRetryMs: 30_000, random: () => 0.5 });
const failed: AttemptOutcome = { connectedForMs: 0 };
const refused: AttemptOutcome = { connectedForMs: 0, turnedAway: 'refused' };
const reset: AttemptOutcome = { connectedForMs: 0, turnedAway: 'reset' };
const dropped = (ms: number): AttemptOutcome => ({ connectedForMs: ms });

describe('ReconnectPolicy', () => {
  it('backs off exponentially while attempts fail', () => {
    const p = policy();
    assert.deepEqual([1, 2, 3, 4, 5].map(() => p.next(failed, 0).delayMs), [1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('starts over only after a stable connection', () => {
    const p = policy();
    p.next(failed, 0);
    p.next(failed, 0);
    assert.equal(p.next(dropped(2_000), 0).delayMs, 4_000, 'a short-lived connection keeps the backoff');
    assert.equal(p.next(dropped(60_000), 0).delayMs, 1_000, 'a stable one resets it');
  });

  it('keeps retrying about once a second while a server it just lost refuses connections', () => {
    const p = policy();
    p.next(dropped(60_000), 0);
    const delays = Array.from({ length: 30 }, (_, i) => p.next(refused, 1_000 * (i + 1)).delayMs);
    assert.ok(delays.every((d) => d === 1_000), `delays ${delays.join(',')}`);
  });

  it('retries after two seconds, then a little later with each reset in a row, while the server resets connections', () => {
    const p = policy();
    p.next(dropped(60_000), 0);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => p.next(reset, i * 2_000).delayMs);
    assert.deepEqual(delays, [2_000, 3_000, 4_500, 6_750, 10_125, 15_000, 15_000, 15_000]);
    assert.equal(p.next(refused, 20_000).delayMs, 1_000, 'a refusal ends the run');
    assert.equal(p.next(reset, 21_000).delayMs, 2_000, 'and the next reset starts it over');
  });

  it('backs off as usual once the restart grace period is over', () => {
    const p = policy();
    p.next(dropped(60_000), 0);
    for (let i = 1; i <= 10; i++) p.next(refused, i * 1_000);
    assert.deepEqual([121_000, 122_000, 123_000].map((t) => p.next(refused, t).delayMs), [2_000, 4_000, 8_000]);
  });

  it('does not let quick retries grow the backoff for the next other failure', () => {
    const p = policy();
    p.next(dropped(60_000), 0);
    for (let i = 1; i <= 20; i++) p.next(refused, i * 1_000);
    assert.equal(p.next(failed, 21_000).delayMs, 2_000);
  });

  it('hurries in the two minutes after the agent starts, but not later against a server it never reached', () => {
    const p = policy();
    p.started(0);
    assert.deepEqual([1, 2, 3].map((i) => p.next(reset, i * 1_000).delayMs), [2_000, 3_000, 4_500]);
    assert.deepEqual([1, 2, 3].map((i) => p.next(refused, 200_000 + i).delayMs), [1_000, 2_000, 4_000]);
  });

  it('does not hurry against a server it never reached, nor for errors other than a refusal', () => {
    const never = policy();
    assert.deepEqual([1, 2, 3].map(() => never.next(refused, 0).delayMs), [1_000, 2_000, 4_000]);
    const timeouts = policy();
    assert.equal(timeouts.next(dropped(60_000), 0).delayMs, 1_000);
    assert.deepEqual([1, 2, 3].map((i) => timeouts.next(failed, i).delayMs), [2_000, 4_000, 8_000]);
  });

  it("follows the server's Retry-After, spread within the second", () => {
    const p = new ReconnectPolicy({ backoffInitialMs: 1_000, backoffMaxMs: 60_000, pendingRetryMs: 30_000, random: () => 0.25 });
    assert.equal(p.next({ ...failed, retryHintMs: 3_000 }, 0).delayMs, 3_250);
  });

  it('waits long when revoked and the pending interval, not a growing backoff, while unapproved', () => {
    const p = policy();
    const revoked = p.next({ ...failed, closeCode: TUNNEL_CLOSE.revoked.code }, 0);
    assert.equal(revoked.delayMs, 10 * 60_000);
    assert.match(revoked.lastError ?? '', /revoked/);
    const pending = p.next({ ...failed, closeCode: TUNNEL_CLOSE.pending.code }, 0);
    assert.equal(pending.delayMs, 30_000);
    assert.match(pending.lastError ?? '', /approve/);
    // The server holds each knock open until approval or a timeout: the knocks stay close
    // together, so an approved node never sits out a long backoff first.
    const quick = new ReconnectPolicy({ backoffInitialMs: 1_000, backoffMaxMs: 60_000, pendingRetryMs: 2_000, random: () => 0.5 });
    const delays = Array.from({ length: 8 }, () => quick.next({ ...failed, closeCode: TUNNEL_CLOSE.pending.code }, 0).delayMs);
    assert.deepEqual(delays, Array(8).fill(2_000));
  });
});
