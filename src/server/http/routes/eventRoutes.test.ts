import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, type ApiWorld, type Person } from '../../testing/apiWorld.js';
import { openSse } from '../../testing/sseReader.js';
import { moveNode } from '../../store/nodeLifecycleStore.js';

/** Reads the caller's event stream. */
function subscribe(world: ApiWorld, who: Person) {
  return openSse(`${world.url}/v1/events`, world.tokens[who]);
}

describe('GET /v1/events', () => {
  let world: ApiWorld;
  /** Registry listeners of the server's own parts (session manager, queue), before any stream. */
  let base = 0;
  before(async () => {
    world = await buildApiWorld();
    base = world.deps.registry.listenerCount('online');
  });
  after(() => world.close());

  it('tells each caller about its own nodes and sessions only', async () => {
    const a = await subscribe(world, 'aViewer');
    const b = await subscribe(world, 'bAdmin');
    assert.equal((await a.next()).event, 'ready');
    assert.equal((await b.next()).event, 'ready');
    world.deps.registry.emit('online', 'nodeA');
    const seen = await a.next();
    assert.equal(seen.event, 'node.online');
    assert.equal(seen.data.id, 'nodeA');
    world.deps.sessions.emit('opened', { id: 'sesA', nodeId: 'nodeA', url: 'https://h:1/?t=secret', state: 'open' }, 'siteA');
    const opened = await a.next();
    assert.equal(opened.event, 'session.opened');
    assert.equal(opened.data.id, 'sesA');
    assert.equal(opened.data.url, undefined, 'a session URL may carry its one-time token and is not broadcast');
    // bAdmin's first event after ready must be about custB's node, not custA's.
    world.deps.registry.emit('offline', 'nodeB');
    const other = await b.next();
    assert.equal(other.event, 'node.offline');
    assert.equal(other.data.id, 'nodeB');
    a.close();
    b.close();
  });

  it('stops listening when the browser goes away', async () => {
    const streams = () => world.deps.registry.listenerCount('online') - base;
    const settle = async (n: number) => {
      for (let i = 0; i < 200 && streams() !== n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    await settle(0);
    const s = await subscribe(world, 'aViewer');
    await s.next();
    assert.equal(streams(), 1);
    assert.equal(world.deps.sessions.listenerCount('opened'), 1);
    s.close();
    await settle(0);
    assert.equal(streams(), 0);
    assert.equal(world.deps.sessions.listenerCount('opened'), 0);
  });

  it('listens to the registry once however many consoles are open', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const tabs = await Promise.all(Array.from({ length: 12 }, () => subscribe(world, 'aViewer')));
    for (const t of tabs) assert.equal((await t.next()).event, 'ready');
    assert.equal(world.deps.registry.listenerCount('online') - base, 1);
    assert.equal(world.deps.sessions.listenerCount('opened'), 1);
    world.deps.registry.emit('offline', 'nodeA');
    for (const t of tabs) assert.equal((await t.next()).event, 'node.offline');
    for (const t of tabs) t.close();
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.deepEqual(warnings.map((w) => w.name), []);
  });

  it("tells those who may see a node's group of requests for approval on site there, another tenant never", async () => {
    const notice = { id: 'apr_evtest00001', nodeId: 'nodeA', kind: 'job' as const, subject: 'job_1', user: 'ops@example.com', what: 'run: uptime', since: '2026-01-01T00:00:00.000Z', timeoutMs: 60_000 };
    const a = await subscribe(world, 'aViewer');
    const b = await subscribe(world, 'bAdmin');
    assert.equal((await a.next()).event, 'ready');
    assert.equal((await b.next()).event, 'ready');
    await world.deps.cluster.publish('approval', { event: 'approval.waiting', groupId: 'siteA', notice });
    const waiting = await a.next();
    assert.equal(waiting.event, 'approval.waiting');
    assert.equal(waiting.data.id, notice.id);
    assert.equal(waiting.data.what, 'run: uptime');
    // A console that connects later is shown what already waits; another tenant's is not.
    const late = await subscribe(world, 'aViewer');
    assert.equal((await late.next()).event, 'ready');
    assert.equal((await late.next()).data.id, notice.id);
    const laterB = await subscribe(world, 'bAdmin');
    assert.equal((await laterB.next()).event, 'ready');
    await world.deps.cluster.publish('approval', { event: 'approval.withdrawn', groupId: 'siteA', notice: { ...notice, outcome: 'withdrawn', reason: 'the job was cancelled' } });
    const withdrawn = await a.next();
    assert.equal(withdrawn.event, 'approval.withdrawn');
    assert.equal(withdrawn.data.reason, 'the job was cancelled');
    // custB's admin heard none of it: its next event is about its own node.
    world.deps.registry.emit('offline', 'nodeB');
    for (const s of [b, laterB]) {
      const other = await s.next();
      assert.equal(other.event, 'node.offline');
      assert.equal(other.data.id, 'nodeB');
    }
    for (const s of [a, b, late, laterB]) s.close();
  });
  it("shows a request for approval on site under its node's group as it is now, after a move", async () => {
    const notice = { id: 'apr_evtest00002', nodeId: 'nodeA', kind: 'job' as const, subject: 'job_2', user: 'ops@example.com', what: 'run: secret-thing', since: '2026-01-01T00:00:00.000Z', timeoutMs: 60_000 };
    await world.deps.cluster.publish('approval', { event: 'approval.waiting', groupId: 'siteA', notice });
    await moveNode(world.deps.db, 'nodeA', 'custB');
    try {
      const a = await subscribe(world, 'aViewer');
      const b = await subscribe(world, 'bAdmin');
      assert.equal((await a.next()).event, 'ready');
      assert.equal((await b.next()).event, 'ready');
      // custB's admin now answers for nodeA: it is shown what waits there.
      const shown = await b.next();
      assert.equal(shown.event, 'approval.waiting');
      assert.equal(shown.data.id, notice.id);
      await world.deps.cluster.publish('approval', { event: 'approval.decided', groupId: 'siteA', notice: { ...notice, outcome: 'approved', by: 'Mia on site' } });
      assert.equal((await b.next()).event, 'approval.decided');
      // custA's viewer, who no longer sees nodeA, heard none of it: its next event is about its own group.
      world.deps.sessions.emit('opened', { id: 'sesA2', nodeId: 'nodeX', url: 'https://h:1/', state: 'open' }, 'siteA');
      const other = await a.next();
      assert.equal(other.event, 'session.opened');
      assert.equal(other.data.id, 'sesA2');
      a.close();
      b.close();
    } finally {
      await moveNode(world.deps.db, 'nodeA', 'siteA');
    }
  });
});
