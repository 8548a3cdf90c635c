import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView } from '../../../shared/protocol.js';
import { insertNode } from '../../store/nodeStore.js';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';
import { holdWhileOperator } from '../holdWhileOperator.js';

const code = (body: unknown) => (body as { error?: { code?: string } }).error?.code;
const names = (body: unknown) => (body as NodeView[]).map((n) => n.name).sort();

describe('node lifecycle', () => {
  let world: ApiWorld;
  const worlds: ApiWorld[] = [];
  beforeEach(async () => {
    world = await buildApiWorld();
    worlds.push(world);
  });
  after(async () => {
    for (const w of worlds) await w.close();
  });

  it('renames a node, refusing a name another node of its group has, and audits it', async () => {
    await insertNode(world.deps.db, { id: 'nodeA2', name: 'gate', groupId: 'siteA', publicKey: 'ssh-ed25519 keyA2', status: 'approved', services: [], agentVersion: null, createdAt: 0, enrolledBy: null });
    const clash = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/rename', { name: 'gate' });
    assert.equal(clash.status, 409);
    assert.equal(code(clash.body), 'CONFLICT');
    const r = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/rename', { name: 'pump-1' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await call(world, 'aViewer', 'GET', '/v1/nodes/pump-1')).status, 200);
    assert.equal(code((await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/rename', { name: 'bad name' })).body), 'VALIDATION');
    const audit = (await call(world, 'rootAdmin', 'GET', '/v1/audit')).body as { action: string; detail: { from?: string; to?: string } }[];
    assert.ok(audit.some((e) => e.action === 'node.rename' && e.detail.from === 'nodeA' && e.detail.to === 'pump-1'), JSON.stringify(audit.slice(-3)));
  });

  it('moves a node only for an admin of both groups', async () => {
    // aAdmin administers custA (with siteA, emptyA) only.
    const into = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/move', { group: 'custB' });
    assert.equal(into.status, 404, 'cannot push a node into a group it does not administer');
    const outOf = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeB/move', { group: 'siteA' });
    assert.equal(outOf.status, 404, 'cannot pull a node out of a group it does not administer');
    const operator = await call(world, 'aOperator', 'POST', '/v1/nodes/nodeA/move', { group: 'emptyA' });
    assert.equal(operator.status, 403);
    const ok = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/move', { group: 'emptyA' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((ok.body as NodeView).group, 'emptyA');
    // aOperator operates siteA only: the node left its reach.
    assert.equal((await call(world, 'aOperator', 'GET', '/v1/nodes/nodeA')).status, 404);
  });

  it('cancels jobs queued for a moved or deleted node under its old group, so they never run there', async () => {
    // jobA (group siteA) waits for nodeA.
    const status = async (job: string) => ((await call(world, 'rootAdmin', 'GET', `/v1/jobs/${job}`)).body as { targets: { nodeId: string; status: string }[] }).targets;
    assert.equal((await status('jobA'))[0]?.status, 'pending');
    assert.equal((await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/move', { group: 'emptyA' })).status, 200);
    assert.equal((await status('jobA'))[0]?.status, 'cancelled');
    const job = await call(world, 'aAdmin', 'POST', '/v1/jobs', { node: 'nodeA', command: 'true' });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    assert.equal((await call(world, 'aAdmin', 'DELETE', '/v1/nodes/nodeA')).status, 204);
    assert.equal((await status((job.body as { id: string }).id))[0]?.status, 'cancelled');
  });

  it('ends what users who may not operate the new group hold open on the moved node', async () => {
    const p = { userId: world.userIds.aOperator, email: 'aOperator@example.com', via: 'token' as const, credentialId: 'tok_aOperator', interactive: true, access: { grants: [], scope: 'admin' as const, limitGroupId: null }, mustEnrollTotp: false };
    const ended: string[] = [];
    holdWhileOperator(world.deps, p, 'siteA', { end: (reason) => ended.push(`node:${reason}`), nodeId: 'nodeA' });
    holdWhileOperator(world.deps, p, 'siteA', { end: (reason) => ended.push(`other:${reason}`), nodeId: 'nodeA3' });
    const r = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/move', { group: 'emptyA' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ended, ['node:grant-removed']);
  });

  it('deletes a node: gone from lists, its key refused, its name free, its audit trail kept', async () => {
    const r = await call(world, 'aAdmin', 'DELETE', '/v1/nodes/nodeA');
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.deepEqual(names((await call(world, 'rootAdmin', 'GET', '/v1/nodes')).body), ['nodeB']);
    assert.equal((await call(world, 'aAdmin', 'GET', '/v1/nodes/nodeA')).status, 404);
    assert.equal((await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/approve')).status, 404, 'a deleted node cannot be approved back');
    const row = await world.deps.db.get<{ status: string }>('SELECT status FROM nodes WHERE id = ?', ['nodeA']);
    assert.equal(row?.status, 'revoked', 'its key stays on record, refused');
    await insertNode(world.deps.db, { id: 'nodeA9', name: 'nodeA', groupId: 'siteA', publicKey: 'ssh-ed25519 keyA9', status: 'approved', services: [], agentVersion: null, createdAt: 0, enrolledBy: null });
    assert.equal(((await call(world, 'aAdmin', 'GET', '/v1/nodes/nodeA')).body as NodeView).id, 'nodeA9', 'the name is free again');
    const audit = (await call(world, 'rootAdmin', 'GET', '/v1/audit')).body as { action: string; target: string; targetName?: string }[];
    const del = audit.find((e) => e.action === 'node.delete');
    assert.ok(del && del.target === 'nodeA', JSON.stringify(audit.slice(-2)));
    assert.ok(audit.some((e) => e.action === 'test.seed' && e.target === 'nodeA'), 'older entries stay');
  });

  it('sets and removes labels, and lists nodes by a label selector', async () => {
    const set = await call(world, 'rootAdmin', 'POST', '/v1/nodes/nodeA/labels', { set: { site: 'paris', tier: 'prod' } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await call(world, 'rootAdmin', 'POST', '/v1/nodes/nodeB/labels', { set: { site: 'paris', tier: 'test' } });
    const list = async (sel: string) => names((await call(world, 'rootAdmin', 'GET', `/v1/nodes?label=${encodeURIComponent(sel)}`)).body);
    assert.deepEqual(await list('site=paris'), ['nodeA', 'nodeB']);
    assert.deepEqual(await list('site=paris,tier!=test'), ['nodeA']);
    assert.deepEqual(names((await call(world, 'aViewer', 'GET', '/v1/nodes?label=site%3Dparis')).body), ['nodeA'], 'only nodes the caller sees');
    assert.equal(code((await call(world, 'rootAdmin', 'GET', '/v1/nodes?label=site')).body), 'VALIDATION');
    const rm = await call(world, 'rootAdmin', 'POST', '/v1/nodes/nodeA/labels', { remove: ['tier'] });
    assert.deepEqual((rm.body as NodeView).labels, { site: 'paris' });
    assert.equal(code((await call(world, 'rootAdmin', 'POST', '/v1/nodes/nodeA/labels', { set: { 'bad key': 'x' } })).body), 'VALIDATION');
  });

  it('queues a job for the nodes a selector matches, among those the caller operates', async () => {
    await call(world, 'rootAdmin', 'POST', '/v1/nodes/nodeA/labels', { set: { site: 'paris' } });
    await call(world, 'rootAdmin', 'POST', '/v1/nodes/nodeB/labels', { set: { site: 'paris' } });
    const mine = await call(world, 'aOperator', 'POST', '/v1/jobs', { selector: 'site=paris', command: 'true' });
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.deepEqual((mine.body as { nodes: string[]; group: string }).nodes, ['nodeA'], 'never a node of another customer');
    assert.equal((mine.body as { group: string }).group, 'siteA');
    const all = await call(world, 'rootAdmin', 'POST', '/v1/jobs', { selector: 'site=paris', command: 'true' });
    assert.deepEqual((all.body as { nodes: string[] }).nodes.sort(), ['nodeA', 'nodeB']);
    assert.equal((all.body as { group: string }).group, 'root');
    const none = await call(world, 'aOperator', 'POST', '/v1/jobs', { selector: 'site=lyon', command: 'true' });
    assert.equal(code(none.body), 'VALIDATION');
  });
});
