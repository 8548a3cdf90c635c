import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { insertNode, type NodeRecord } from '../../store/nodeStore.js';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

const node = (id: string, groupId: string, status: NodeRecord['status']) => ({
  id, name: 'gate', groupId, publicKey: `ssh-ed25519 key-${id}`, status, services: ['webui'], agentVersion: null, createdAt: 0, enrolledBy: null,
});

describe('a node named in a request', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
    // An approved gate in siteA; another customer enrolls its own gate, still pending.
    await insertNode(world.deps.db, node('nod_gateA', 'siteA', 'approved'));
    await insertNode(world.deps.db, node('nod_gateB', 'custB', 'pending'));
  });
  after(() => world.close());

  const idOf = (r: { body: unknown }) => (r.body as { id?: string }).id;

  it('is not shadowed by a pending node of another group, not even for a root admin', async () => {
    for (const who of ['rootAdmin', 'aOperator', 'aAdmin'] as const) {
      const r = await call(world, who, 'GET', '/v1/nodes/gate');
      assert.equal(r.status, 200, `${who}: ${JSON.stringify(r.body)}`);
      assert.equal(idOf(r), 'nod_gateA');
    }
  });

  it('resolves to the one node the caller may see', async () => {
    const r = await call(world, 'bAdmin', 'GET', '/v1/nodes/gate');
    assert.equal(r.status, 200);
    assert.equal(idOf(r), 'nod_gateB', 'the pending gate is the only one bAdmin sees, so it can be approved by name');
  });

  it('says a name is ambiguous and how to name one node, and takes group/name', async () => {
    await insertNode(world.deps.db, node('nod_gateB2', 'custB', 'approved'));
    await insertNode(world.deps.db, node('nod_gateC', 'emptyA', 'approved'));
    const r = await call(world, 'rootAdmin', 'GET', '/v1/nodes/gate');
    assert.equal(r.status, 409);
    const e = (r.body as { error: { code: string; message: string } }).error;
    assert.equal(e.code, 'NODE_AMBIGUOUS');
    assert.match(e.message, /nod_gateA/);
    assert.match(e.message, /nod_gateB2/);
    assert.match(e.message, /group\/name/);
    assert.doesNotMatch(e.message, /nod_gateB\b/, 'a pending node does not compete with approved ones');
    assert.equal(idOf(await call(world, 'rootAdmin', 'GET', '/v1/nodes/custB%2Fgate')), 'nod_gateB2');
    assert.equal(idOf(await call(world, 'rootAdmin', 'GET', `/v1/nodes/${encodeURIComponent('root/custA/siteA/gate')}`)), 'nod_gateA');
    assert.equal(idOf(await call(world, 'rootAdmin', 'GET', '/v1/nodes/nod_gateC')), 'nod_gateC');
    // Another customer's nodes never make a name ambiguous, nor show in the message.
    const b = await call(world, 'bAdmin', 'GET', '/v1/nodes/gate');
    assert.equal(b.status, 200);
    assert.equal(idOf(b), 'nod_gateB2');
    const a = await call(world, 'aAdmin', 'GET', '/v1/nodes/gate');
    assert.equal(a.status, 409);
    assert.doesNotMatch(JSON.stringify(a.body), /nod_gateB/);
    // A group the caller cannot see is no way in.
    assert.equal((await call(world, 'aAdmin', 'GET', '/v1/nodes/custB%2Fgate')).status, 404);
  });

  it('resolves names the same way for jobs', async () => {
    const r = await call(world, 'aOperator', 'POST', '/v1/jobs', { node: 'gate', command: 'true' });
    assert.notEqual((r.body as { error?: { code: string } }).error?.code, 'NODE_NOT_FOUND', JSON.stringify(r.body));
  });
});
