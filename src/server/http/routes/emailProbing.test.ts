import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../shared/clock.js';
import { newTotpSecret } from '../../auth/totp.js';
import { stepOf, totpAtStep } from '../../auth/totpReference.testkit.js';
import { listAudit } from '../../store/auditStore.js';
import { confirmTotp, setTotpSecret } from '../../store/userStore.js';
import { buildApiWorld, call, WORLD_PASSWORD, type ApiWorld } from '../../testing/apiWorld.js';

const error = (body: unknown) => (body as { error?: { code?: string; message?: string } } | undefined)?.error ?? {};

// Emails are global sign-in names, so a tenant admin who creates a user, or renames one, with
// another tenant's user's email must be refused: the refusal says as little as it can, is
// audited as denied with who tried it and where, and repeated refusals slow the prober down.
describe('an email that belongs to another account', () => {
  let world: ApiWorld;
  const clock = new FakeClock(Date.now());
  before(async () => {
    world = await buildApiWorld({ clock });
  });
  after(() => world.close());

  const denials = async (actor: string, action: string) =>
    (await listAudit(world.deps.db, { actor, action })).filter((r) => r.result === 'denied').map((r) => ({ target: r.target, group: r.group_id, detail: JSON.parse(r.detail) as Record<string, unknown> }));

  it('is refused to a tenant admin without confirming whose it is, and audited as denied', async () => {
    const r = await call(world, 'bAdmin', 'POST', '/v1/users', { email: 'aOperator@example.com', role: 'viewer', group: 'custB' });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(error(r.body).code, 'CONFLICT');
    assert.doesNotMatch(error(r.body).message ?? '', /user|exists|another|custA/i, 'nothing about an existing user or its customer');
    const own = await call(world, 'bAdmin', 'POST', '/v1/users', { email: 'bAdmin@example.com', role: 'viewer', group: 'custB' });
    assert.equal(own.status, 409);
    assert.equal(error(own.body).message, error(r.body).message?.replace('aOperator@example.com', 'bAdmin@example.com'), 'the customer\'s own users answer alike');
    assert.deepEqual(await denials('usr_bAdmin', 'user.create'), [
      { target: 'bAdmin@example.com', group: 'custB', detail: { reason: 'email-in-use', role: 'viewer', group: 'custB' } },
      { target: 'aOperator@example.com', group: 'custB', detail: { reason: 'email-in-use', role: 'viewer', group: 'custB' } },
    ]);
  });

  it('is throttled per actor after a few refusals, for creations and renames alike', async () => {
    // Two refusals above, three more here: five are free, then each attempt waits.
    for (const email of ['rootAdmin@example.com', 'aAdmin@example.com']) {
      assert.equal((await call(world, 'bAdmin', 'POST', '/v1/users', { email, role: 'viewer', group: 'custB' })).status, 409);
    }
    const made = await call(world, 'bAdmin', 'POST', '/v1/users', { email: 'new-b@example.com', role: 'viewer', group: 'custB' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = (made.body as { id: string }).id;
    const rename = await call(world, 'bAdmin', 'PATCH', `/v1/users/${id}`, { email: 'aViewer@example.com' });
    assert.equal(rename.status, 409, JSON.stringify(rename.body));
    assert.doesNotMatch(error(rename.body).message ?? '', /user|exists/i);
    assert.equal((await denials('usr_bAdmin', 'user.email-change')).length, 1, 'the refused rename is audited as denied');
    const throttled = await call(world, 'bAdmin', 'POST', '/v1/users', { email: 'aNewOperator@example.com', role: 'viewer', group: 'custB' });
    assert.equal(throttled.status, 429, JSON.stringify(throttled.body));
    assert.equal(error(throttled.body).code, 'RATE_LIMITED');
    const free = await call(world, 'bAdmin', 'POST', '/v1/users', { email: 'another-b@example.com', role: 'viewer', group: 'custB' });
    assert.equal(free.status, 429, 'while it waits, no answer tells a free email from a taken one');
    const other = await call(world, 'aAdmin', 'POST', '/v1/users', { email: 'new-a@example.com', role: 'viewer', group: 'custA' });
    assert.equal(other.status, 201, 'another admin is not slowed down');
    clock.advance(2_000);
    assert.equal((await call(world, 'bAdmin', 'POST', '/v1/users', { email: 'another-b@example.com', role: 'viewer', group: 'custB' })).status, 201, 'the wait ends');
  });

  it('is refused for one\'s own email change, audited and counted the same way', async () => {
    const secret = newTotpSecret();
    const me = world.userIds.aOperator;
    await setTotpSecret(world.deps.db, me, world.deps.box.seal(secret, me));
    await confirmTotp(world.deps.db, me);
    const r = await call(world, 'aOperator', 'POST', '/v1/auth/email', { currentPassword: WORLD_PASSWORD, email: 'bAdmin@example.com', totp: totpAtStep(secret, stepOf(clock.now())) });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.doesNotMatch(error(r.body).message ?? '', /user|exists/i);
    assert.deepEqual((await denials(me, 'user.email-change')).map((d) => d.detail), [{ reason: 'email-in-use', from: 'aOperator@example.com' }]);
  });
});
