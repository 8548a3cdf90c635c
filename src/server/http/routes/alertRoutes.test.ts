import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getAlertChannel } from '../../store/alertStore.js';
import { listAudit } from '../../store/auditStore.js';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

const code = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

describe('alert routes', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  it('keeps an SMTP password sealed in the store and never shows it or a webhook secret', async () => {
    const r = await call(world, 'aAdmin', 'POST', '/v1/alert-channels', { name: 'mail', group: 'custA', spec: { kind: 'email', host: 'smtp.example.com', port: 587, user: 'alerts', password: 'the-smtp-password', from: 'burrow@example.com', to: ['ops@example.com'] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = (r.body as { id: string }).id;
    const stored = await getAlertChannel(world.deps.db, id);
    assert.ok(stored?.secretSealed);
    assert.doesNotMatch(JSON.stringify(stored), /the-smtp-password/);
    assert.equal(world.deps.box.open(stored.secretSealed, `alert-channel:${id}`), 'the-smtp-password');
    const hook = await call(world, 'aAdmin', 'POST', '/v1/alert-channels', { name: 'hook', group: 'custA', spec: { kind: 'webhook', url: 'https://alerts.example.com/x', secret: 'the-webhook-secret-123' } });
    assert.equal(hook.status, 201);
    const listed = await call(world, 'aAdmin', 'GET', '/v1/alert-channels');
    assert.doesNotMatch(JSON.stringify(listed.body), /the-smtp-password|the-webhook-secret/);
    const audit = await listAudit(world.deps.db, { action: 'alert.channel.create' });
    assert.equal(audit.length, 2);
    assert.doesNotMatch(JSON.stringify(audit), /the-smtp-password|the-webhook-secret/);
  });

  it('refuses webhooks and SMTP hosts on private, loopback and metadata addresses', async () => {
    let n = 0;
    for (const [url, host] of [['http://169.254.169.254/latest/meta-data/', undefined], ['https://10.0.0.5/hook', undefined], ['https://[::1]:8443/', undefined], ['https://localhost/', undefined], [undefined, '127.0.0.1']] as const) {
      const spec = url ? { kind: 'webhook', url, secret: 'a-secret-of-16-chars' } : { kind: 'email', host, from: 'a@example.com', to: ['b@example.com'] };
      const r = await call(world, 'aAdmin', 'POST', '/v1/alert-channels', { name: `bad-${++n}`, group: 'custA', spec });
      assert.equal(r.status, 403, `${url ?? host}: ${JSON.stringify(r.body)}`);
      assert.equal(code(r.body), 'SERVICE_TARGET_REFUSED');
    }
    const ftp = await call(world, 'aAdmin', 'POST', '/v1/alert-channels', { name: 'ftp', group: 'custA', spec: { kind: 'webhook', url: 'ftp://example.com/', secret: 'a-secret-of-16-chars' } });
    assert.equal(ftp.status, 400);
  });

  it('keeps sign-in rules to the root group and channels to the rule\'s group or above', async () => {
    const signins = await call(world, 'aAdmin', 'POST', '/v1/alert-rules', { name: 's', group: 'custA', spec: { kind: 'signin.failed', count: 5, windowSeconds: 300 }, channels: ['alcA'] });
    assert.equal(signins.status, 400);
    const other = await call(world, 'bAdmin', 'POST', '/v1/alert-channels', { name: 'b-hook', group: 'custB', spec: { kind: 'webhook', url: 'https://b.example.com/', secret: 'a-secret-of-16-chars' } });
    assert.equal(other.status, 201);
    const foreign = await call(world, 'aAdmin', 'POST', '/v1/alert-rules', { name: 'x', group: 'custA', spec: { kind: 'job.failed' }, channels: [(other.body as { id: string }).id] });
    assert.equal(foreign.status, 404, 'another customer\'s channel cannot be named');
    const below = await call(world, 'aAdmin', 'POST', '/v1/alert-rules', { name: 'site', group: 'siteA', spec: { kind: 'job.failed' }, channels: ['alcA'] });
    assert.equal(below.status, 201, 'a subgroup\'s rule may use its parent\'s channel');
    assert.deepEqual((await call(world, 'bAdmin', 'GET', '/v1/alert-rules')).body, [], 'bAdmin sees none of custA\'s rules');
  });

  it('sends a test through a channel and logs the refused attempt', async () => {
    const r = await call(world, 'aAdmin', 'POST', '/v1/alert-channels/alcA/test');
    assert.equal(r.status, 200);
    assert.equal((r.body as { status: string }).status, 'failed');
    const log = (await call(world, 'aAdmin', 'GET', '/v1/alert-deliveries')).body as { channel: string; status: string; attempts: number }[];
    assert.equal(log[0]?.channel, 'alcA');
    assert.equal(log[0]?.attempts, 1);
    assert.deepEqual((await call(world, 'bAdmin', 'GET', '/v1/alert-deliveries')).body, []);
  });

  it('a group that is deleted takes its rules and channels with it', async () => {
    const g = await call(world, 'aAdmin', 'POST', '/v1/groups', { name: 'short-lived', parent: 'custA' });
    assert.equal(g.status, 201);
    const group = (g.body as { id: string }).id;
    const c = await call(world, 'aAdmin', 'POST', '/v1/alert-channels', { name: 'gone', group, spec: { kind: 'webhook', url: 'https://gone.example.com/', secret: 'a-secret-of-16-chars' } });
    assert.equal(c.status, 201);
    assert.equal((await call(world, 'aAdmin', 'POST', '/v1/alert-rules', { name: 'gone', group, spec: { kind: 'job.failed' }, channels: ['gone'] })).status, 201);
    const del = await call(world, 'aAdmin', 'DELETE', `/v1/groups/${group}`);
    assert.equal(del.status, 204, JSON.stringify(del.body));
    assert.equal(await getAlertChannel(world.deps.db, (c.body as { id: string }).id), undefined);
  });
});
