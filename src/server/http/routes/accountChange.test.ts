import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from '../../../shared/secrets.js';
import { newTotpSecret } from '../../auth/totp.js';
import { stepOf, totpAtStep } from '../../auth/totpReference.testkit.js';
import { insertApiToken } from '../../store/apiTokenStore.js';
import { confirmTotp, setTotpSecret } from '../../store/userStore.js';
import { buildApiWorld, call, WORLD_PASSWORD, type ApiWorld } from '../../testing/apiWorld.js';

const NEW_PASSWORD = 'a different long passphrase 3';
const code = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

/** Gives aOperator an enrolled authenticator; returns its secret. */
async function enroll(world: ApiWorld): Promise<string> {
  const secret = newTotpSecret();
  const id = world.userIds.aOperator;
  await setTotpSecret(world.deps.db, id, world.deps.box.seal(secret, id));
  await confirmTotp(world.deps.db, id);
  return secret;
}

async function withWorld(fn: (world: ApiWorld) => Promise<void>): Promise<void> {
  const world = await buildApiWorld();
  const now = Date.now();
  await insertApiToken(world.deps.db, { id: 'tok_automation', userId: world.userIds.aOperator, name: 'automation', tokenHash: sha256Hex('automation-token'), scope: 'read', kind: 'api', createdAt: now, expiresAt: now + 3_600_000, groupId: null });
  try {
    await fn(world);
  } finally {
    await world.close();
  }
}

// Issue 22: one's own password changes only with the current password and a code again.
describe('changing one\'s own password', () => {
  it('refuses without an authenticator code, and leaves the password as it was', () =>
    withWorld(async (world) => {
      await enroll(world);
      const r = await call(world, 'aOperator', 'POST', '/v1/auth/password', { currentPassword: WORLD_PASSWORD, newPassword: NEW_PASSWORD });
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(code(r.body), 'TOTP_INVALID');
      const login = await call(world, undefined, 'POST', '/v1/auth/login', { email: 'aOperator@example.com', password: NEW_PASSWORD });
      assert.equal(code(login.body), 'LOGIN_FAILED');
    }));

  it('throttles wrong current passwords like sign-ins', () =>
    withWorld(async (world) => {
      const secret = await enroll(world);
      const attempt = () => call(world, 'aOperator', 'POST', '/v1/auth/password', { currentPassword: 'not the password', newPassword: NEW_PASSWORD, totp: totpAtStep(secret, stepOf(Date.now())) });
      for (let i = 0; i < 3; i++) assert.equal(code((await attempt()).body), 'LOGIN_FAILED');
      assert.equal(code((await attempt()).body), 'RATE_LIMITED');
    }));

  it('ends the other sign-ins, keeps this one and named API tokens', () =>
    withWorld(async (world) => {
      const secret = await enroll(world);
      const now = Date.now();
      await insertApiToken(world.deps.db, { id: 'tok_other', userId: world.userIds.aOperator, name: 'cli login', tokenHash: sha256Hex('other-login'), scope: 'admin', kind: 'cli', createdAt: now, expiresAt: now + 3_600_000, groupId: null });
      const as = async (token: string) => (await fetch(`${world.url}/v1/nodes`, { headers: { authorization: `Bearer ${token}` } })).status;
      assert.equal(await as('other-login'), 200);
      const r = await call(world, 'aOperator', 'POST', '/v1/auth/password', { currentPassword: WORLD_PASSWORD, newPassword: NEW_PASSWORD, totp: totpAtStep(secret, stepOf(now)) });
      assert.equal(r.status, 204, JSON.stringify(r.body));
      assert.equal(await as(world.tokens.aOperator), 200, 'the sign-in that changed it stays');
      assert.equal(await as('other-login'), 401, 'another CLI login ends');
      assert.equal(await as('automation-token'), 200, 'a named API token stays');
    }));

  it('cannot be done with an API token', () =>
    withWorld(async (world) => {
      const res = await fetch(`${world.url}/v1/auth/password`, {
        method: 'POST',
        headers: { authorization: 'Bearer automation-token', 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: WORLD_PASSWORD, newPassword: NEW_PASSWORD, totp: '123456' }),
      });
      assert.equal(res.status, 403);
    }));
});
