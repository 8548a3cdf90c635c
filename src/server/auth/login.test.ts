import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signInWorlds, WORLD_PASSWORD, WORLD_START, type SignInWorld } from './signInWorld.testkit.js';
import type { BurrowError } from '../../shared/errors.js';
import { sha256Hex } from '../../shared/secrets.js';
import { getApiTokenByHash } from '../store/apiTokenStore.js';
import { listAudit } from '../store/auditStore.js';
import { replaceRecoveryCodes } from '../store/recoveryCodeStore.js';
import { getThrottle } from '../store/throttleStore.js';
import { getUser, setUserDisabled } from '../store/userStore.js';
import { checkPassword, checkSecondFactor, CLI_TOKEN_TTL_MS, issueLoginToken } from './login.js';
import { hashRecoveryCode, newRecoveryCodes } from './recoveryCodes.js';

const EMAIL = 'alice@example.com';
const PASSWORD = WORLD_PASSWORD;
const IP = '192.0.2.7';
const START = WORLD_START;

type World = SignInWorld;
const newWorld = signInWorlds('login');
/** A fresh database with one admin who has TOTP enrolled (not yet confirmed). */
const world = () => newWorld({ id: 'usr_alice', email: EMAIL, totpConfirmed: false });

const LOGIN_FAILED = { code: 'LOGIN_FAILED', message: 'Wrong email or password.' };

/** One failed password attempt, which must fail with LOGIN_FAILED (not a throttle). */
async function failOnce(w: World, email = EMAIL): Promise<void> {
  await assert.rejects(checkPassword(w.d, email, 'wrong password!!', IP), LOGIN_FAILED);
}

describe('sign-in', () => {
  it('accepts the right password and code, confirms TOTP and issues a token', async () => {
    const w = await world();
    const user = await checkPassword(w.d, EMAIL, PASSWORD, IP);
    assert.equal(user.id, 'usr_alice');
    await checkSecondFactor(w.d, user, { totp: w.code() }, IP);
    assert.equal((await getUser(w.db, user.id))?.totpConfirmed, true);
    const { token, expiresAt } = await issueLoginToken(w.d, user, IP);
    assert.match(token, /^brt_/);
    assert.equal(expiresAt, START + CLI_TOKEN_TTL_MS);
    const stored = await getApiTokenByHash(w.db, sha256Hex(token));
    assert.equal(stored?.userId, user.id);
    assert.equal(stored?.kind, 'cli');
    const [last] = await listAudit(w.db, { action: 'auth.login' });
    assert.equal(last?.result, 'ok');
    assert.equal(last?.at, START);
  });

  it('refuses a replayed code, and codes of earlier steps, then accepts the next step', async () => {
    const w = await world();
    const code = w.code();
    await checkSecondFactor(w.d, w.user, { totp: code }, IP);
    await assert.rejects(checkSecondFactor(w.d, w.user, { totp: code }, IP), { code: 'TOTP_INVALID', message: /already used/ });
    await assert.rejects(checkSecondFactor(w.d, w.user, { totp: w.code(-1) }, IP), { code: 'TOTP_INVALID' });
    w.clock.advance(30_000);
    await checkSecondFactor(w.d, w.user, { totp: w.code() }, IP);
    const denied = await listAudit(w.db, { action: 'auth.login' });
    assert.deepEqual(denied.map((r) => JSON.parse(r.detail).reason), ['totp-replay', 'totp-replay']);
  });

  it('accepts the next step early (clock skew), and then not the current one', async () => {
    const w = await world();
    await checkSecondFactor(w.d, w.user, { totp: w.code(1) }, IP);
    await assert.rejects(checkSecondFactor(w.d, w.user, { totp: w.code() }, IP), { code: 'TOTP_INVALID' });
  });

  it('refuses a wrong, missing or two-steps-old code', async () => {
    const w = await world();
    for (const f of [{ totp: w.code(-2) }, { totp: '000000' === w.code() ? '111111' : '000000' }, {}, { totp: '' }]) {
      await assert.rejects(checkSecondFactor(w.d, w.user, f, IP), { code: 'TOTP_INVALID' }, JSON.stringify(f));
      w.clock.advance(120_000); // past the throttle delay, so each attempt reaches the check
    }
  });

  it('fails a wrong password and an unknown user alike', async () => {
    const w = await world();
    await assert.rejects(checkPassword(w.d, EMAIL, 'wrong password!!', IP), LOGIN_FAILED);
    await assert.rejects(checkPassword(w.d, 'nobody@example.com', PASSWORD, IP), LOGIN_FAILED);
    const rows = await listAudit(w.db, { action: 'auth.login' });
    assert.deepEqual(
      rows.map((r) => [r.actor, r.target, r.source_ip, r.result, JSON.parse(r.detail).reason]),
      [
        ['anonymous', 'nobody@example.com', IP, 'denied', 'unknown-user'],
        ['usr_alice', EMAIL, IP, 'denied', 'password'],
      ],
    );
  });

  it('refuses a disabled user with the same error, even with the right password', async () => {
    const w = await world();
    await setUserDisabled(w.db, w.user.id, true);
    await assert.rejects(checkPassword(w.d, EMAIL, PASSWORD, IP), LOGIN_FAILED);
    const [row] = await listAudit(w.db, { action: 'auth.login' });
    assert.equal(row?.result, 'denied');
    assert.equal(JSON.parse(row?.detail ?? '{}').reason, 'disabled');
  });

  it('treats the email case-insensitively for sign-in and throttling', async () => {
    const w = await world();
    assert.equal((await checkPassword(w.d, 'Alice@Example.COM', PASSWORD, IP)).id, 'usr_alice');
    await failOnce(w, 'ALICE@example.com');
    await failOnce(w, 'alice@EXAMPLE.com');
    await failOnce(w, EMAIL);
    await assert.rejects(checkPassword(w.d, 'Alice@example.com', PASSWORD, IP), { code: 'RATE_LIMITED' });
  });
});

describe('sign-in throttling', () => {
  it('delays after 3 failures without counting refused attempts, and locks after 10 for 15 min', async () => {
    const w = await world();
    for (let i = 0; i < 3; i++) await failOnce(w);
    // Even the right password is refused while the account must wait.
    await assert.rejects(checkPassword(w.d, EMAIL, PASSWORD, IP), { code: 'RATE_LIMITED', message: /Try again in 1 s/ });
    await assert.rejects(checkPassword(w.d, EMAIL, PASSWORD, IP), { code: 'RATE_LIMITED' });
    assert.equal((await getThrottle(w.db, `user:${EMAIL}`))?.failures, 3, 'refused attempts do not count');
    // Failures 4..10 each wait 1, 2, 4 … s (capped at 60 s) after the previous one.
    for (const delay of [1000, 2000, 4000, 8000, 16000, 32000, 60000]) {
      w.clock.advance(delay - 1);
      await assert.rejects(checkPassword(w.d, EMAIL, PASSWORD, IP), { code: 'RATE_LIMITED' });
      w.clock.advance(1);
      await failOnce(w);
    }
    const locked = { code: 'RATE_LIMITED', message: /locked.*Try again in 900 s/ };
    await assert.rejects(checkPassword(w.d, EMAIL, PASSWORD, IP), locked);
    w.clock.advance(15 * 60_000 - 1);
    await assert.rejects(checkPassword(w.d, EMAIL, PASSWORD, IP), { code: 'RATE_LIMITED', message: /locked/ });
    w.clock.advance(1);
    assert.equal((await checkPassword(w.d, EMAIL, PASSWORD, IP)).id, 'usr_alice');
  });

  it('forgets failures older than an hour', async () => {
    const w = await world();
    for (let i = 0; i < 3; i++) await failOnce(w);
    w.clock.advance(3_600_001);
    for (let i = 0; i < 3; i++) await failOnce(w);
    assert.equal((await getThrottle(w.db, `user:${EMAIL}`))?.failures, 3);
  });

  it('throttles the second factor too', async () => {
    const w = await world();
    const wrong = w.code() === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) await assert.rejects(checkSecondFactor(w.d, w.user, { totp: wrong }, IP), { code: 'TOTP_INVALID' });
    await assert.rejects(checkSecondFactor(w.d, w.user, { totp: w.code() }, IP), { code: 'RATE_LIMITED' });
    w.clock.advance(1000);
    await checkSecondFactor(w.d, w.user, { totp: w.code() }, IP);
  });

  it('forgets the account failures after a successful sign-in', async () => {
    const w = await world();
    await failOnce(w);
    await failOnce(w);
    const user = await checkPassword(w.d, EMAIL, PASSWORD, IP);
    await checkSecondFactor(w.d, user, { totp: w.code() }, IP);
    assert.equal(await getThrottle(w.db, `user:${EMAIL}`), undefined);
    // Three fresh free failures: without the reset the 4th failure overall would be throttled.
    for (let i = 0; i < 3; i++) await failOnce(w);
  });
});

describe('sign-in throttling under concurrency', () => {
  it('does not let a burst of concurrent guesses past the throttle', async () => {
    const w = await world();
    const r = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => checkPassword(w.d, EMAIL, `wrong guess ${i}!!`, IP)));
    const codes = r.map((x) => (x.status === 'rejected' ? (x.reason as BurrowError).code : 'ok'));
    assert.equal(codes.filter((c) => c === 'LOGIN_FAILED').length, 3, codes.join(','));
    assert.equal(codes.filter((c) => c === 'RATE_LIMITED').length, 17);
  });
});

describe('recovery codes', () => {
  it('each works once, typed in any case and spacing', async () => {
    const w = await world();
    const codes = newRecoveryCodes();
    await replaceRecoveryCodes(w.db, w.user.id, codes.map(hashRecoveryCode));
    const [first, second] = codes as [string, string];
    await checkSecondFactor(w.d, w.user, { recoveryCode: first }, IP);
    await assert.rejects(checkSecondFactor(w.d, w.user, { recoveryCode: first }, IP), { code: 'TOTP_INVALID', message: /recovery code/ });
    await checkSecondFactor(w.d, w.user, { recoveryCode: ` ${second.toUpperCase().replace(/-/g, ' ')} ` }, IP);
    w.clock.advance(1000);
    await assert.rejects(checkSecondFactor(w.d, w.user, { recoveryCode: 'aaaaa-bbbbb-ccccc-ddddd' }, IP), { code: 'TOTP_INVALID' });
    const used = await listAudit(w.db, { action: 'auth.recovery-code' });
    assert.equal(used.length, 2);
    const denied = (await listAudit(w.db, { action: 'auth.login' })).filter((r) => r.result === 'denied');
    assert.deepEqual(denied.map((r) => JSON.parse(r.detail).reason), ['recovery-code', 'recovery-code']);
  });

  it('are refused for a user who has none', async () => {
    const w = await world();
    await assert.rejects(checkSecondFactor(w.d, w.user, { recoveryCode: 'aaaaa-bbbbb-ccccc-ddddd' }, IP), { code: 'TOTP_INVALID' });
  });
});
