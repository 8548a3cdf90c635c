import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

// Issue 22: the console's group tree renames groups and moves them to another parent.
describe('POST /v1/groups/:id/rename and /move', () => {
  let w: ApiWorld;
  before(async () => {
    w = await buildApiWorld();
  });
  after(() => w.close());

  const errorOf = (r: { body: unknown }) => (r.body as { error: { code: string; message: string } }).error;
  const paths = async () => new Map(((await call(w, 'rootAdmin', 'GET', '/v1/groups')).body as { id: string; path: string }[]).map((g) => [g.id, g.path]));
  const audited = async (action: string) => ((await call(w, 'rootAdmin', 'GET', `/v1/audit?action=${action}`)).body as { target: string; detail: Record<string, unknown> }[]);

  it('renames a group the caller administers, refuses a sibling name already taken, and audits the change', async () => {
    const r = await call(w, 'aAdmin', 'POST', '/v1/groups/siteA/rename', { name: 'paris' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await paths()).get('siteA'), 'root/custA/paris');
    const clash = await call(w, 'aAdmin', 'POST', '/v1/groups/emptyA/rename', { name: 'paris' });
    assert.equal(clash.status, 409);
    assert.match(errorOf(clash).message, /already has a group named paris/);
    const [entry] = await audited('group.rename');
    assert.deepEqual([entry?.target, entry?.detail], ['siteA', { from: 'siteA', to: 'paris' }]);
  });

  it('moves a group with its subtree under another group the caller administers, and audits it', async () => {
    const r = await call(w, 'aAdmin', 'POST', '/v1/groups/emptyA/move', { parent: 'siteA' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await paths()).get('emptyA'), 'root/custA/paris/emptyA');
    const [entry] = await audited('group.move');
    assert.deepEqual([entry?.target, entry?.detail.from, entry?.detail.to], ['emptyA', 'custA', 'siteA']);
  });

  it('refuses a move under the group itself or its subtree, and a move of the root', async () => {
    const cycle = await call(w, 'rootAdmin', 'POST', '/v1/groups/custA/move', { parent: 'emptyA' });
    assert.equal(cycle.status, 400);
    assert.match(errorOf(cycle).message, /cannot move under itself or one of its subgroups/);
    const root = await call(w, 'rootAdmin', 'POST', '/v1/groups/root/move', { parent: 'custA' });
    assert.equal(root.status, 403);
  });

  it('needs admin on the group, its parent and the destination', async () => {
    const outside = await call(w, 'aAdmin', 'POST', '/v1/groups/siteA/move', { parent: 'custB' });
    assert.equal(outside.status, 404, 'another customer\'s group does not exist for the caller');
    const away = await call(w, 'bAdmin', 'POST', '/v1/groups/custB/move', { parent: 'custB' });
    assert.equal(away.status, 404, 'a customer admin cannot take its group out from under root, which it cannot see');
    const viewer = await call(w, 'aViewer', 'POST', '/v1/groups/siteA/rename', { name: 'x' });
    assert.equal(viewer.status, 403);
    assert.equal((await paths()).get('custB'), 'root/custB');
  });
});
