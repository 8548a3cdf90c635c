import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signInWorlds, WORLD_PASSWORD, type SignInWorld } from './signInWorld.testkit.js';
import type { BurrowError } from '../../shared/errors.js';
import { replaceRecoveryCodes } from '../store/recoveryCodeStore.js';
import { getThrottle } from '../store/throttleStore.js';
import { checkPassword, checkSecondFactor } from './login.js';
import { hashRecoveryCode, newRecoveryCodes } from './recoveryCodes.js';
import { ACCOUNT_POLICY, waitMs } from './loginThrottle.js';
import { unlockSignIn } from './signInThrottle.js';

const EMAIL = 'victim@example.com';
const PASSWORD = WORLD_PASSWORD;

type World = SignInWorld & { wrong(): string };
const newWorld = signInWorlds('lockout');
async function world(): Promise<World> {
  const w = await newWorld({ id: 'usr_v', email: EMAIL, totpConfirmed: true });
  /** A code that is wrong now. */
  return { ...w, wrong: () => (w.code() === '000000' ? '111111' : '000000') };
}

/** Whether the account makes the addresses that failed on it wait (a delay or a lock). */
async function throttled(w: World): Promise<boolean> {
  return waitMs(ACCOUNT_POLICY, await getThrottle(w.d.db, `user:${EMAIL}`), w.clock.now()) > 0;
}

/** The error code of an attempt, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as BurrowError).code;
  }
}

/** A full sign-in: password, then the right code (a fresh step each time, so no replay). */
async function signIn(w: World, ip: string): Promise<string> {
  const pw = await outcome(checkPassword(w.d, EMAIL, PASSWORD, ip));
  if (pw !== 'ok') return pw;
  return outcome(checkSecondFactor(w.d, w.user, { totp: w.code() }, ip));
}

describe('sign-in lockout counts second factors', () => {
  it('counts wrong TOTP codes after a right password, from many addresses, and makes the account wait', async () => {
    const w = await world();
    const results: string[] = [];
    for (let i = 0; i < 60; i++) {
      const ip = `198.51.100.${i % 7}`;
      if ((await outcome(checkPassword(w.d, EMAIL, PASSWORD, ip))) !== 'ok') {
        results.push('password-refused');
        continue;
      }
      results.push(await outcome(checkSecondFactor(w.d, w.user, { totp: w.wrong() }, ip)));
      w.clock.advance(1000);
    }
    const checked = results.filter((r) => r === 'TOTP_INVALID').length;
    assert.ok(checked <= 16, `only a handful of wrong codes are ever checked, not ${checked}: ${results.join(',')}`);
    assert.ok(await throttled(w), 'the account waits');
    // The addresses that guessed stay refused, even with the right code.
    assert.equal(await signIn(w, '198.51.100.3'), 'RATE_LIMITED');
  });

  it('keeps the count through a right password: only a complete sign-in resets it', async () => {
    const w = await world();
    const ip = '198.51.100.9';
    for (let i = 0; i < 2; i++) {
      await checkPassword(w.d, EMAIL, PASSWORD, ip);
      await assert.rejects(checkSecondFactor(w.d, w.user, { totp: w.wrong() }, ip), { code: 'TOTP_INVALID' });
    }
    await checkPassword(w.d, EMAIL, PASSWORD, ip);
    assert.equal((await getThrottle(w.d.db, `user:${EMAIL}`))?.failures, 2, 'a right password does not forgive wrong codes');
    w.clock.advance(30_000);
    await checkSecondFactor(w.d, w.user, { totp: w.code() }, ip);
    assert.equal(await getThrottle(w.d.db, `user:${EMAIL}`), undefined, 'a complete sign-in does');
  });

  it('counts wrong recovery codes, and a recovery code still works for the owner while locked', async () => {
    const w = await world();
    const codes = newRecoveryCodes();
    await replaceRecoveryCodes(w.d.db, w.user.id, codes.map(hashRecoveryCode));
    for (let i = 0; i < 12; i++) {
      await outcome(checkSecondFactor(w.d, w.user, { recoveryCode: `aaaaa-bbbbb-ccccc-${String(10000 + i)}` }, `203.0.113.${i % 2}`));
      w.clock.advance(61_000); // past each delay, so every guess is checked and counted
    }
    assert.ok(((await getThrottle(w.d.db, `user:${EMAIL}`))?.lockedUntil ?? 0) > w.clock.now(), 'ten wrong recovery codes lock the account');
    assert.ok(await throttled(w), 'wrong recovery codes count against the account');
    const ip = '192.0.2.200';
    assert.equal(await outcome(checkPassword(w.d, EMAIL, PASSWORD, ip)), 'ok');
    assert.equal(await outcome(checkSecondFactor(w.d, w.user, { recoveryCode: codes[0] as string }, ip)), 'ok');
  });
});

describe('nobody can lock a victim out indefinitely', () => {
  it('wrong passwords lock the addresses that sent them, not the owner at a clean one', async () => {
    const w = await world();
    for (let i = 0; i < 100; i++) {
      await outcome(checkPassword(w.d, EMAIL, `guess ${i} is wrong`, `203.0.113.${i % 4}`));
      w.clock.advance(20_000);
    }
    assert.ok(((await getThrottle(w.d.db, `user:${EMAIL}`))?.lockedUntil ?? 0) > w.clock.now(), 'the account is locked');
    assert.ok(await throttled(w), 'the account waits for the guessers');
    assert.equal(await signIn(w, '203.0.113.2'), 'RATE_LIMITED', 'a guessing address is refused');
    assert.equal(await signIn(w, '192.0.2.10'), 'ok', 'the owner at an address with no failures signs in');
    assert.equal((await getThrottle(w.d.db, `user:${EMAIL}`)), undefined, 'and that ends the lock');
  });

  it('a lock is not extended by attempts it refuses, and ends after 15 minutes', async () => {
    const w = await world();
    const ip = '203.0.113.1';
    for (let i = 0; i < 10; i++) {
      await outcome(checkPassword(w.d, EMAIL, 'wrong password!!', ip));
      w.clock.advance(60_000);
    }
    const lockedUntil = (await getThrottle(w.d.db, `user:${EMAIL}`))?.lockedUntil ?? 0;
    assert.ok(lockedUntil > w.clock.now());
    while (w.clock.now() < lockedUntil - 1000) {
      assert.equal(await outcome(checkPassword(w.d, EMAIL, 'wrong password!!', ip)), 'RATE_LIMITED');
      w.clock.advance(10_000);
    }
    assert.equal((await getThrottle(w.d.db, `user:${EMAIL}`))?.lockedUntil, lockedUntil, 'refused attempts do not extend the lock');
    w.clock.advance(lockedUntil - w.clock.now());
    assert.equal(await signIn(w, ip), 'ok');
  });

  it('admits only a few attempts from clean addresses per lock window, then none until it passes', async () => {
    const w = await world();
    for (let i = 0; i < 10; i++) await outcome(checkPassword(w.d, EMAIL, 'wrong password!!', '203.0.113.1'));
    const fresh = [];
    for (let i = 0; i < 20; i++) fresh.push(await outcome(checkPassword(w.d, EMAIL, 'still wrong!!', `198.18.0.${i}`)));
    const admitted = fresh.filter((r) => r === 'LOGIN_FAILED').length;
    assert.ok(admitted > 0 && admitted <= 6, fresh.join(','));
    assert.equal(fresh.slice(admitted).every((r) => r === 'RATE_LIMITED'), true, fresh.join(','));
    w.clock.advance(15 * 60_000);
    assert.equal(await signIn(w, '192.0.2.77'), 'ok');
  });

  it('an administrator can unlock an account at once', async () => {
    const w = await world();
    for (let i = 0; i < 10; i++) await outcome(checkPassword(w.d, EMAIL, 'wrong password!!', '203.0.113.1'));
    assert.equal(await signIn(w, '203.0.113.1'), 'RATE_LIMITED');
    await unlockSignIn(w.d.db, EMAIL.toUpperCase());
    assert.equal(await signIn(w, '203.0.113.1'), 'ok');
  });
});
