import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobManifest } from '../../../shared/jobManifest.js';
import { getJob } from '../../store/jobStore.js';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

describe('POST /v1/jobs: pushes and signed manifests', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  const errorOf = (r: { body: unknown }) => (r.body as { error: { code: string; message: string } }).error;

  it('refuses a push with the setuid or setgid bit, before anything is queued', async () => {
    for (const mode of [0o4755, 0o2755]) {
      const r = await call(world, 'rootAdmin', 'POST', '/v1/jobs', { node: 'nodeA', push: { path: '/usr/local/bin/x', mode, content: 'aWQK' } });
      assert.equal(r.status, 400, mode.toString(8));
      assert.equal(errorOf(r).code, 'VALIDATION');
      assert.match(errorOf(r).message, /setuid or setgid/);
    }
  });

  it('queues a job with a manifest that pins it, and refuses one that pins another job, node or time', async () => {
    const manifest: JobManifest = { v: 1, nonce: 'cd'.repeat(16), kind: 'command', command: 'uptime', path: null, mode: null, sha256: null, target: { node: 'nodeA' }, nodes: ['nodeA'], expiresAt: Date.now() + 3_600_000 };
    const submit = (m: JobManifest, command = 'uptime') => call(world, 'rootAdmin', 'POST', '/v1/jobs', { node: 'nodeA', command, signed: { manifest: JSON.stringify(m), signature: 'c2lnbmVk' } });
    const ok = await submit(manifest);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const job = await getJob(world.deps.db, (ok.body as { id: string }).id);
    assert.deepEqual([job?.manifest, job?.signature], [JSON.stringify(manifest), 'c2lnbmVk']);
    assert.equal((ok.body as { signed: boolean }).signed, true);
    const refusals: [JobManifest, string, RegExp][] = [
      [manifest, 'id > /tmp/pwned', /command is not the one that was signed/],
      [{ ...manifest, nodes: ['nodeB'] }, 'uptime', /not for node nodeA/],
      [{ ...manifest, expiresAt: Date.now() - 1 }, 'uptime', /expired/],
    ];
    for (const [m, command, why] of refusals) {
      const r = await submit(m, command);
      assert.equal(r.status, 400);
      assert.match(errorOf(r).message, why);
    }
    const garbage = await call(world, 'rootAdmin', 'POST', '/v1/jobs', { node: 'nodeA', command: 'uptime', signed: { manifest: '{"v":2}', signature: 'c2lnbmVk' } });
    assert.equal(garbage.status, 400);
    assert.match(errorOf(garbage).message, /manifest is invalid/);
  });

  it('lists jobs with their creator by email and each target with its name and status', async () => {
    const r = await call(world, 'aViewer', 'GET', '/v1/jobs');
    assert.equal(r.status, 200);
    const jobA = (r.body as { id: string; creator: string | null; targets: unknown[] }[]).find((j) => j.id === 'jobA');
    assert.equal(jobA?.creator, 'rootAdmin@example.com');
    assert.deepEqual(jobA?.targets, [{ nodeId: 'nodeA', name: 'nodeA', status: 'pending', approvalWaitingSince: null }]);
    const one = await call(world, 'aViewer', 'GET', '/v1/jobs/jobA');
    assert.equal((one.body as { creator: string }).creator, 'rootAdmin@example.com');
  });

  it('queues one job for nodes chosen one by one, in the deepest group the caller operates that holds them all', async () => {
    const r = await call(world, 'rootAdmin', 'POST', '/v1/jobs', { nodes: ['nodeA', 'nodeB'], command: 'true' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([(r.body as { group: string }).group, (r.body as { nodes: string[] }).nodes.sort()], ['root', ['nodeA', 'nodeB']]);
    const mine = await call(world, 'aOperator', 'POST', '/v1/jobs', { nodes: ['nodeA'], command: 'true' });
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.equal((mine.body as { group: string }).group, 'siteA');
    const outside = await call(world, 'aOperator', 'POST', '/v1/jobs', { nodes: ['nodeA', 'nodeB'], command: 'true' });
    assert.equal(outside.status, 404, 'a node of another customer does not exist for the caller');
    assert.equal(errorOf(outside).code, 'NODE_NOT_FOUND');
    const both = await call(world, 'rootAdmin', 'POST', '/v1/jobs', { node: 'nodeA', nodes: ['nodeA'], command: 'true' });
    assert.equal(both.status, 400);
  });

  it('announces the new job on the cluster bus, so the instance holding its node delivers at once', async () => {
    const announced: string[] = [];
    const stop = world.deps.cluster.subscribe('job.created', (m) => announced.push(m.jobId));
    try {
      const r = await call(world, 'rootAdmin', 'POST', '/v1/jobs', { node: 'nodeB', command: 'true' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(announced, [(r.body as { id: string }).id]);
    } finally {
      stop();
    }
  });
});
