import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { buildApiWorld, call, type ApiWorld } from '../testing/apiWorld.js';

const code = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

/** A sign-in through the CLI's endpoint; aNewOperator-like users have no TOTP yet. */
async function login(world: ApiWorld, email: string, password: string, newPassword?: string) {
  return call(world, undefined, 'POST', '/v1/auth/login', { email, password, ...(newPassword ? { newPassword } : {}) });
}

// Issue 19, item 10: a password an administrator's `users create` made up is temporary.
describe('temporary passwords', () => {
  let world: ApiWorld;
  const clock = new FakeClock(Date.now());
  before(async () => {
    world = await buildApiWorld({ clock });
  });
  after(() => world.close());

  const create = async (email: string) => {
    const r = await call(world, 'aAdmin', 'POST', '/v1/users', { email, role: 'viewer', group: 'custA' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return (r.body as { temporaryPassword: string }).temporaryPassword;
  };

  it('must be changed at the first sign-in, and the new one then works', async () => {
    const temp = await create('first@example.com');
    const plain = await login(world, 'first@example.com', temp);
    assert.equal(plain.status, 403, JSON.stringify(plain.body));
    assert.equal(code(plain.body), 'PASSWORD_CHANGE_REQUIRED');
    const weak = await login(world, 'first@example.com', temp, 'short');
    assert.equal(weak.status, 400);
    const same = await login(world, 'first@example.com', temp, temp);
    assert.equal(same.status, 400, 'the temporary password cannot be kept');
    const changed = await login(world, 'first@example.com', temp, 'my own long passphrase 7');
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await login(world, 'first@example.com', 'my own long passphrase 7')).status, 200);
    assert.equal((await login(world, 'first@example.com', temp)).status, 401, 'the temporary password is gone');
  });

  it('is not asked for a password the administrator chose', async () => {
    const r = await call(world, 'aAdmin', 'POST', '/v1/users', { email: 'chosen@example.com', role: 'viewer', group: 'custA', password: 'a chosen long passphrase' });
    assert.equal(r.status, 201);
    assert.equal((await login(world, 'chosen@example.com', 'a chosen long passphrase')).status, 200);
  });

  // Last: it moves the clock past the test world's own sign-ins.
  it('expires after 24 hours', async () => {
    const temp = await create('late@example.com');
    clock.advance(24 * 3_600_000 + 1);
    const r = await login(world, 'late@example.com', temp, 'my own long passphrase 8');
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(code(r.body), 'LOGIN_FAILED');
    assert.match((r.body as { error: { message: string } }).error.message, /expired/);
  });
});
