import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { generateEd25519 } from '../../shared/sshKeys.js';
import { newTotpSecret } from '../auth/totp.js';
import { confirmTotp, setTotpSecret } from '../store/userStore.js';
import { stepOf, totpAtStep } from '../auth/totpReference.testkit.js';
import { buildApiWorld, call, WORLD_PASSWORD, type ApiWorld } from '../testing/apiWorld.js';

const HOUR = 3_600_000;
const errorOf = (body: unknown) => (body as { error?: { code?: string; message?: string } }).error ?? {};

async function world(t: { after: (fn: () => Promise<void>) => void }): Promise<{ w: ApiWorld; clock: FakeClock }> {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const w = await buildApiWorld({ clock });
  t.after(() => w.close());
  return { w, clock };
}

/** Gives the root admin an enrolled authenticator; returns its secret. */
async function enrollTotp(w: ApiWorld): Promise<string> {
  const secret = newTotpSecret();
  const userId = w.userIds.rootAdmin;
  await setTotpSecret(w.deps.db, userId, w.deps.box.seal(secret, userId));
  await confirmTotp(w.deps.db, userId);
  return secret;
}

const login = (w: ApiWorld, totp: string) => call(w, undefined, 'POST', '/v1/auth/login', { email: 'rootAdmin@example.com', password: WORLD_PASSWORD, totp });

// Issue 10: the server's clock jumps by an hour. Expiries follow the server's clock and say
// why; TOTP is checked against the server's time, and the messages point at the clock.
describe('a server clock that jumps by an hour', () => {
  it('forward: expires the CLI tokens the jump carries past their expiry, and says so', async (t) => {
    const { w, clock } = await world(t);
    // Each use renews a CLI token for 24 h, so an hour's jump does not end it …
    assert.equal((await call(w, 'aViewer', 'GET', '/v1/nodes')).status, 200);
    clock.advance(HOUR + 60_000);
    assert.equal((await call(w, 'aViewer', 'GET', '/v1/nodes')).status, 200);
    // … but a jump past those 24 h does.
    clock.advance(24 * HOUR + 60_000);
    const r = await call(w, 'aViewer', 'GET', '/v1/nodes');
    assert.equal(r.status, 401);
    assert.match(errorOf(r.body).message ?? '', /expired/);
  });

  it('forward: refuses an enrollment token past its lifetime with the reason', async (t) => {
    const { w, clock } = await world(t);
    const made = await call(w, 'rootAdmin', 'POST', '/v1/enroll-tokens', { ttl: '30m', autoApprove: true });
    assert.equal(made.status, 201);
    clock.advance(HOUR);
    const r = await call(w, undefined, 'POST', '/v1/enroll', { token: (made.body as { token: string }).token, name: 'late', publicKey: generateEd25519().public });
    assert.equal(r.status, 401);
    assert.equal(errorOf(r.body).code, 'ENROLL_TOKEN_INVALID');
    assert.match(errorOf(r.body).message ?? '', /expired/);
  });

  it('forward: refuses a code made for the real time, and accepts one for the server time', async (t) => {
    const { w, clock } = await world(t);
    const secret = await enrollTotp(w);
    const stale = await login(w, totpAtStep(secret, stepOf(clock.now() - HOUR)));
    assert.equal(stale.status, 401);
    assert.equal(errorOf(stale.body).code, 'TOTP_INVALID');
    assert.match(errorOf(stale.body).message ?? '', /wrong or too old/);
    assert.equal((await login(w, totpAtStep(secret, stepOf(clock.now())))).status, 200);
  });

  it('backward: keeps unexpired tokens, and says the clock is behind when codes go back in time', async (t) => {
    const { w, clock } = await world(t);
    const secret = await enrollTotp(w);
    assert.equal((await login(w, totpAtStep(secret, stepOf(clock.now())))).status, 200);
    clock.advance(-HOUR);
    assert.equal((await call(w, 'aViewer', 'GET', '/v1/nodes')).status, 200, 'a token does not expire when time goes back');
    const behind = await login(w, totpAtStep(secret, stepOf(clock.now())));
    assert.equal(behind.status, 401);
    assert.match(errorOf(behind.body).message ?? '', /clock is behind/);
  });
});
