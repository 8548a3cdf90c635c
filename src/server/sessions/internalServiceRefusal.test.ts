import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listAudit } from '../store/auditStore.js';
import { buildApiWorld, call, type ApiWorld } from '../testing/apiWorld.js';

type ErrorBody = { error: { code: string; message: string } };

describe('sessions on burrow’s own services (shell, jobs)', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  it('refuses jobs with 400 SERVICE_INTERNAL and a sentence that says to use jobs', async () => {
    const r = await call(world, 'aOperator', 'POST', '/v1/sessions', { node: 'nodeA', service: 'jobs' });
    assert.equal(r.status, 400);
    const e = (r.body as ErrorBody).error;
    assert.equal(e.code, 'SERVICE_INTERNAL');
    assert.match(e.message, /^"jobs" is burrow's own service .* not a session target: use "burrow admin job run --node nodeA -- COMMAND"/);
  });

  it('refuses shell, as http or tcp, and says to use burrow ssh or the Terminal', async () => {
    for (const type of ['http', 'tcp']) {
      const r = await call(world, 'aOperator', 'POST', '/v1/sessions', { node: 'nodeA', service: 'shell', type });
      assert.equal(r.status, 400, type);
      const e = (r.body as ErrorBody).error;
      assert.equal(e.code, 'SERVICE_INTERNAL');
      assert.match(e.message, /use "burrow ssh nodeA" or the Terminal/);
    }
  });

  it('refuses them as session requests too, before anything is queued', async () => {
    const r = await call(world, 'aOperator', 'POST', '/v1/session-requests', { node: 'nodeA', service: 'shell' });
    assert.equal(r.status, 400);
    assert.equal((r.body as ErrorBody).error.code, 'SERVICE_INTERNAL');
  });

  it('audits each refusal as denied, and still treats a real service as before', async () => {
    const denied = (await listAudit(world.deps.db, { action: 'session.' })).filter((e) => e.result === 'denied');
    assert.deepEqual(denied.map((e) => [e.action, JSON.parse(e.detail).service]).reverse(), [
      ['session.open', 'jobs'], ['session.open', 'shell'], ['session.open', 'shell'], ['session.queue', 'shell'],
    ]);
    assert.ok(denied.every((e) => e.actor === world.userIds.aOperator && e.target === 'nodeA' && e.group_id === 'siteA'));
    const webui = await call(world, 'aOperator', 'POST', '/v1/sessions', { node: 'nodeA', service: 'webui' });
    assert.equal((webui.body as ErrorBody).error.code, 'NODE_OFFLINE');
  });

  it('does not let an outsider learn the rule before authorization', async () => {
    const r = await call(world, 'bAdmin', 'POST', '/v1/sessions', { node: 'nodeA', service: 'jobs' });
    assert.equal(r.status, 404);
  });
});
