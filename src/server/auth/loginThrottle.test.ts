import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT_POLICY, IP_POLICY, waitMs, type ThrottlePolicy } from './loginThrottle.js';
import { signInKeys } from './signInThrottle.js';

const policy: ThrottlePolicy = { freeFailures: 3, maxDelayMs: 10_000, lockAfter: 10, lockMs: 15 * 60_000, forgetMs: 3_600_000 };
const T = 1_700_000_000_000;

/** A record of `failures` failures, the last at T, not locked. */
const rec = (failures: number, lockedUntil = 0): { failures: number; lastFailureAt: number; lockedUntil: number } => ({ failures, lastFailureAt: T, lockedUntil });

describe('waitMs', () => {
  it('lets a key with no record try now', () => {
    assert.equal(waitMs(policy, undefined, T), 0);
  });

  it('gives the free failures without a wait', () => {
    for (let f = 0; f < policy.freeFailures; f++) assert.equal(waitMs(policy, rec(f), T), 0, `${f} failures`);
  });

  it('then waits 1 s, 2 s, 4 s … after the last failure', () => {
    assert.equal(waitMs(policy, rec(3), T), 1000);
    assert.equal(waitMs(policy, rec(4), T), 2000);
    assert.equal(waitMs(policy, rec(5), T), 4000);
    assert.equal(waitMs(policy, rec(6), T), 8000);
  });

  it('counts the wait from the last failure, down to zero', () => {
    assert.equal(waitMs(policy, rec(4), T + 500), 1500);
    assert.equal(waitMs(policy, rec(4), T + 1999), 1);
    assert.equal(waitMs(policy, rec(4), T + 2000), 0);
    assert.equal(waitMs(policy, rec(4), T + 60_000), 0);
  });

  it('caps the delay at maxDelayMs', () => {
    assert.equal(waitMs(policy, rec(7), T), 10_000);
    assert.equal(waitMs(policy, rec(9), T), 10_000);
    assert.equal(waitMs(policy, rec(40), T), 10_000);
    assert.equal(waitMs(ACCOUNT_POLICY, rec(9), T), 60_000);
  });

  it('makes a locked key wait until the lock ends, longer than the delay', () => {
    const locked = rec(10, T + policy.lockMs);
    assert.equal(waitMs(policy, locked, T), policy.lockMs);
    assert.equal(waitMs(policy, locked, T + 60_000), policy.lockMs - 60_000);
    assert.equal(waitMs(policy, locked, T + policy.lockMs - 1), 1);
  });

  it('after the lock ends, the capped delay applies (already over by then)', () => {
    const locked = rec(10, T + policy.lockMs);
    assert.equal(waitMs(policy, locked, T + policy.lockMs), 0);
  });

  it('forgets failures older than forgetMs, even a lock', () => {
    assert.equal(waitMs(policy, rec(5), T + policy.forgetMs), 0);
    assert.equal(waitMs(policy, rec(5), T + policy.forgetMs + 1), 0);
    const longLock = rec(10, T + 2 * policy.forgetMs);
    assert.equal(waitMs(policy, longLock, T + policy.forgetMs), policy.forgetMs, 'still locked at exactly forgetMs');
    assert.equal(waitMs(policy, longLock, T + policy.forgetMs + 1), 0, 'forgotten just after');
  });
});

describe('policies and keys', () => {
  it('are stricter per account than per address', () => {
    assert.deepEqual(ACCOUNT_POLICY, { freeFailures: 3, maxDelayMs: 60_000, lockAfter: 10, lockMs: 15 * 60_000, forgetMs: 3_600_000 });
    assert.ok(IP_POLICY.freeFailures > ACCOUNT_POLICY.freeFailures);
    assert.ok(IP_POLICY.lockAfter > ACCOUNT_POLICY.lockAfter);
  });

  it('key an attempt by lower-cased email, by address, and by the two together', () => {
    assert.deepEqual(signInKeys('Alice@Example.COM', '10.0.0.1'), {
      account: 'user:alice@example.com',
      pair: 'pair:alice@example.com|10.0.0.1',
      address: 'ip:10.0.0.1',
      clean: 'clean:alice@example.com',
    });
  });
});
