import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';
import { listAudit } from '../../store/auditStore.js';
import { getNode, setNextPublicKey } from '../../store/nodeStore.js';

const code = (body: unknown) => (body as { error?: { code?: string } }).error?.code;
const message = (body: unknown) => (body as { error?: { message?: string } }).error?.message ?? '';

describe('node routes: revocation is final, key rotation is bounded', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(() => world.close());

  it('refuses to approve a revoked node and says that re-enrolment is the way back', async () => {
    assert.equal((await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/revoke')).status, 200);
    const r = await call(world, 'aAdmin', 'POST', '/v1/nodes/nodeA/approve');
    assert.equal(r.status, 403);
    assert.equal(code(r.body), 'NODE_REVOKED');
    assert.match(message(r.body), /stays revoked.*enroll it again/);
    assert.equal((await getNode(world.deps.db, 'nodeA'))?.status, 'revoked');
    assert.equal((await listAudit(world.deps.db, { action: 'node.approve' })).length, 0, 'nothing approved, nothing audited as approved');
  });

  it('refuses a key rotation asked for sooner than the interval allows, naming when it may be next', async () => {
    await setNextPublicKey(world.deps.db, 'nodeB', 'ssh-ed25519 next', world.deps.clock.now());
    const r = await call(world, 'bAdmin', 'POST', '/v1/nodes/nodeB/rotate-key');
    assert.equal(r.status, 429);
    assert.equal(code(r.body), 'RATE_LIMITED');
    assert.match(message(r.body), /rotated its key less than 1h ago; one rotation per 1h is allowed, the next from \d{4}-/);
  });
});
