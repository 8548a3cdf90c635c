import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

// Issue 17, item 10: lists name nodes and people, not only their ids.
describe('listings with names (recordings, sessions, audit)', () => {
  let w: ApiWorld;
  before(async () => {
    w = await buildApiWorld();
  });
  after(async () => {
    await w.close();
  });

  it('lists recordings with node name and user email, within the caller\'s groups and of one node when asked', async () => {
    const all = await call(w, 'aAdmin', 'GET', '/v1/recordings');
    assert.equal(all.status, 200);
    assert.deepEqual(
      (all.body as { id: string; node: string; user: string | null }[]).map((r) => [r.id, r.node, r.user]),
      [['recA', 'nodeA', 'rootAdmin@example.com']],
    );
    assert.deepEqual((await call(w, 'bAdmin', 'GET', '/v1/recordings')).body, [], 'another customer sees none');
    assert.equal(((await call(w, 'rootAdmin', 'GET', '/v1/recordings?node=nodeB')).body as unknown[]).length, 0);
    assert.equal(((await call(w, 'rootAdmin', 'GET', '/v1/recordings?node=nodeA')).body as unknown[]).length, 1);
    assert.equal((await call(w, 'bAdmin', 'GET', '/v1/recordings?node=nodeA')).status, 404, 'a node outside the caller\'s groups does not exist');
  });

  it('lists recordings of one user and of a time span', async () => {
    const ids = async (q: string) => ((await call(w, 'rootAdmin', 'GET', `/v1/recordings?${q}`)).body as { id: string }[]).map((r) => r.id);
    assert.deepEqual(await ids('user=rootAdmin@example.com'), ['recA']);
    assert.deepEqual(await ids('user=usr_rootAdmin'), ['recA']);
    assert.deepEqual(await ids('user=aAdmin@example.com'), []);
    assert.deepEqual(await ids(`since=${new Date(Date.now() - 3_600_000).toISOString()}`), ['recA']);
    assert.deepEqual(await ids(`since=${new Date(Date.now() + 3_600_000).toISOString()}`), []);
    assert.deepEqual(await ids(`until=${new Date(Date.now() - 3_600_000).toISOString()}`), []);
    assert.equal((await call(w, 'rootAdmin', 'GET', '/v1/recordings?since=yesterday')).status, 400);
  });

  it('lists sessions with node name, type and user email', async () => {
    const r = await call(w, 'aViewer', 'GET', '/v1/sessions?all=true');
    const rows = r.body as { id: string; node: string; type: string; user: string | null }[];
    assert.deepEqual(rows.map((s) => [s.id, s.node, s.type, s.user]), [['sesA', 'nodeA', 'http', 'rootAdmin@example.com']]);
  });

  it('names audit actors: a user by email, a node by name, the system by nothing', async () => {
    const r = await call(w, 'aAdmin', 'POST', '/v1/groups', { name: 'site9', parent: 'custA' });
    assert.equal(r.status, 201);
    const rows = (await call(w, 'rootAdmin', 'GET', '/v1/audit?limit=50')).body as { actor: string; actorName: string | null; action: string }[];
    const created = rows.find((e) => e.action === 'group.create');
    assert.deepEqual([created?.actor, created?.actorName], ['usr_aAdmin', 'aAdmin@example.com']);
    assert.equal(rows.find((e) => e.action === 'test.seed')?.actorName, null);
  });

  it('names audit targets: a node by name, a group by path', async () => {
    const rows = (await call(w, 'rootAdmin', 'GET', '/v1/audit?limit=50')).body as { target: string; targetName: string | null; action: string }[];
    const seeded = rows.find((e) => e.action === 'test.seed' && e.target === 'nodeA');
    assert.equal(seeded?.targetName, 'nodeA');
    const created = rows.find((e) => e.action === 'group.create');
    assert.equal(created?.targetName, 'root/custA/site9');
  });
});
