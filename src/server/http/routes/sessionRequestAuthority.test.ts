import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setNodeSchedule } from '../../store/nodeStatusStore.js';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

interface RequestView {
  id: string;
  state: string;
  reason: string | null;
}

describe('a session request whose requester loses the authority for it', () => {
  let world: ApiWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /** The request as a root admin sees it, once `done` holds (or as it stands after a second). */
  async function settled(w: ApiWorld, id: string, done: (r: RequestView) => boolean): Promise<RequestView> {
    let r = (await call(w, 'rootAdmin', 'GET', `/v1/session-requests/${id}`)).body as RequestView;
    for (let i = 0; i < 100 && !done(r); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      r = (await call(w, 'rootAdmin', 'GET', `/v1/session-requests/${id}`)).body as RequestView;
    }
    return r;
  }

  it('is cancelled while it waits, with the reason', async () => {
    world = await buildApiWorld();
    const w = world;
    await setNodeSchedule(w.deps.db, 'nodeA', 'on-demand', w.deps.clock.now() + 60_000);
    const queued = await call(w, 'aOperator', 'POST', '/v1/session-requests', { node: 'nodeA' });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const id = (queued.body as RequestView).id;
    assert.equal((await call(w, 'rootAdmin', 'DELETE', '/v1/users/usr_aOperator/grants/siteA')).status, 204);
    const r = await settled(w, id, (v) => v.state !== 'queued');
    assert.deepEqual([r.state, r.reason], ['cancelled', 'grant-removed']);
  });

  it('is not opened when its node arrives after the requester was disabled (nothing in memory held it)', async () => {
    world = await buildApiWorld();
    const w = world;
    // sreqA was queued by aOperator before this process started.
    assert.equal((await call(w, 'rootAdmin', 'POST', '/v1/users/usr_aOperator/disable')).status, 200);
    w.deps.registry.emit('online', 'nodeA');
    const r = await settled(w, 'sreqA', (v) => v.state !== 'queued');
    assert.deepEqual([r.state, r.reason], ['cancelled', 'user-disabled']);
  });
});
