import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { insertGroup } from './groupStore.js';
import { claimTotpStep, getUser, getUserByEmail, grantRole, insertUser, listGrants, listUsers, revokeRole, setPasswordHash } from './userStore.js';
import { clearThrottle, clearThrottlePrefix, getThrottle, putThrottle } from './throttleStore.js';
import { getApiToken, getApiTokenByHash, insertApiToken, listApiTokens, revokeApiToken, touchApiToken } from './apiTokenStore.js';
import { endUserSignIns, getConsoleSession, insertConsoleSession, isBrowserRemembered, rememberBrowser, touchConsoleSession } from './consoleSessionStore.js';
import { countRecoveryCodes, replaceRecoveryCodes, useRecoveryCode } from './recoveryCodeStore.js';
import { ACCOUNT_POLICY, IP_POLICY, recordFailure } from '../auth/loginThrottle.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
/** A time past 2^31 ms, so a 32-bit column would overflow. */
const T = 1_700_000_000_000;

// The account stores' SQL as each engine runs it: upserts, compare-and-set updates, case-insensitive emails.
describeEachStore('account stores', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    await insertGroup(db, { id: 'g1', name: 'customer', parentId: 'root' }, T);
    await insertUser(db, { id: 'usr_a', email: 'Alice@Example.com', passwordHash: 'h', totpSecretEnc: null, totpConfirmed: true, createdAt: T, temporaryUntil: T + 1 });
    await insertUser(db, { id: 'usr_b', email: 'bob@example.com', passwordHash: 'h', totpSecretEnc: null, totpConfirmed: false, createdAt: T });
  });

  it('finds users by email whatever its case, and refuses the same email in another case', async () => {
    assert.equal((await getUserByEmail(db, 'alice@example.COM'))?.id, 'usr_a');
    const alice = await getUser(db, 'usr_a');
    assert.equal(alice?.email, 'Alice@Example.com');
    assert.equal(alice?.mustChangePassword, true);
    assert.equal(alice?.passwordExpiresAt, T + 1);
    await assert.rejects(insertUser(db, { id: 'usr_c', email: 'ALICE@example.com', passwordHash: 'h', totpSecretEnc: null, totpConfirmed: false, createdAt: T }));
    assert.deepEqual((await listUsers(db)).map((u) => u.id), ['usr_a', 'usr_b']);
    await setPasswordHash(db, 'usr_a', 'h2');
    assert.equal((await getUser(db, 'usr_a'))?.mustChangePassword, false);
  });

  it('accepts a TOTP step once, and only a newer one after it', async () => {
    assert.equal(await claimTotpStep(db, 'usr_a', 100), true);
    assert.equal(await claimTotpStep(db, 'usr_a', 100), false);
    assert.equal(await claimTotpStep(db, 'usr_a', 99), false);
    assert.equal(await claimTotpStep(db, 'usr_a', 101), true);
  });

  it('replaces a role granted again on the same group, and revokes it', async () => {
    await grantRole(db, 'usr_a', 'g1', 'viewer');
    await grantRole(db, 'usr_a', 'g1', 'admin');
    assert.deepEqual(await listGrants(db, 'usr_a'), [{ groupId: 'g1', role: 'admin' }]);
    assert.equal(await revokeRole(db, 'usr_a', 'g1'), true);
    assert.equal(await revokeRole(db, 'usr_a', 'g1'), false);
  });

  it('overwrites a throttle record and clears by exact key or by literal prefix', async () => {
    await putThrottle(db, { key: 'user:a', failures: 1, lastFailureAt: T, lockedUntil: 0 });
    await putThrottle(db, { key: 'user:a', failures: 2, lastFailureAt: T + 5, lockedUntil: T + 60_000 });
    assert.deepEqual(await getThrottle(db, 'user:a'), { key: 'user:a', failures: 2, lastFailureAt: T + 5, lockedUntil: T + 60_000 });
    await putThrottle(db, { key: 'ip:10.0.0.1', failures: 1, lastFailureAt: T, lockedUntil: 0 });
    await putThrottle(db, { key: 'ip:10%', failures: 1, lastFailureAt: T, lockedUntil: 0 });
    await clearThrottlePrefix(db, 'ip:10%');
    assert.ok(await getThrottle(db, 'ip:10.0.0.1'), 'a LIKE wildcard in the prefix matches nothing else');
    assert.equal(await getThrottle(db, 'ip:10%'), undefined);
    await clearThrottle(db, 'user:a');
    assert.equal(await getThrottle(db, 'user:a'), undefined);
  });

  it('forgets throttle keys whose failures are past every window, but keeps running locks', async () => {
    // A guesser spraying made-up emails from many addresses must not grow the table forever.
    await recordFailure(db, [['user:old@x', ACCOUNT_POLICY], ['ip:10.0.0.9', IP_POLICY]], T);
    await putThrottle(db, { key: 'user:locked@x', failures: 10, lastFailureAt: T, lockedUntil: T + 3 * 3_600_000 });
    const later = T + ACCOUNT_POLICY.forgetMs + 1;
    await recordFailure(db, [['user:new@x', ACCOUNT_POLICY]], later);
    assert.equal(await getThrottle(db, 'user:old@x'), undefined);
    assert.equal(await getThrottle(db, 'ip:10.0.0.9'), undefined);
    assert.ok(await getThrottle(db, 'user:locked@x'), 'a lock still running is kept');
    assert.equal((await getThrottle(db, 'user:new@x'))?.failures, 1);
  });

  it('slides a token expiry only forward, and lists and revokes tokens', async () => {
    await insertApiToken(db, { id: 'tok_1', userId: 'usr_a', name: 'ci', scope: 'read', kind: 'api', createdAt: T, expiresAt: T + 1000, groupId: null, tokenHash: 'th1' });
    await touchApiToken(db, 'tok_1', T + 1, T + 500);
    assert.equal((await getApiToken(db, 'tok_1'))?.expiresAt, T + 1000);
    await touchApiToken(db, 'tok_1', T + 2, T + 2000);
    const t = await getApiTokenByHash(db, 'th1');
    assert.equal(t?.expiresAt, T + 2000);
    assert.equal(t?.lastUsedAt, T + 2);
    assert.deepEqual((await listApiTokens(db, ['usr_a', 'usr_b'])).map((x) => x.id), ['tok_1']);
    await revokeApiToken(db, 'tok_1', T + 3);
    assert.equal((await getApiToken(db, 'tok_1'))?.revokedAt, T + 3);
  });

  it('keeps console sign-ins and remembered browsers until the user is signed out everywhere', async () => {
    await insertConsoleSession(db, { idHash: 'cs1', userId: 'usr_a', stage: 'full', csrfHash: 'c', createdAt: T, lastSeenAt: T, expiresAt: T + 10 });
    await touchConsoleSession(db, 'cs1', T + 5);
    assert.equal((await getConsoleSession(db, 'cs1'))?.lastSeenAt, T + 5);
    await rememberBrowser(db, 'rb1', 'usr_a', T + 100);
    assert.equal(await isBrowserRemembered(db, 'rb1', 'usr_a', T), true);
    assert.equal(await isBrowserRemembered(db, 'rb1', 'usr_a', T + 100), false);
    await endUserSignIns(db, 'usr_a', T + 6);
    assert.equal(await getConsoleSession(db, 'cs1'), undefined);
    assert.equal(await isBrowserRemembered(db, 'rb1', 'usr_a', T), false);
  });

  it('uses each recovery code once', async () => {
    await replaceRecoveryCodes(db, 'usr_a', ['r1', 'r2']);
    assert.equal(await countRecoveryCodes(db, 'usr_a'), 2);
    assert.equal(await useRecoveryCode(db, 'usr_a', 'r1', T), true);
    assert.equal(await useRecoveryCode(db, 'usr_a', 'r1', T), false);
    assert.equal(await countRecoveryCodes(db, 'usr_a'), 1);
  });
});
