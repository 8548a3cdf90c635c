import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LocalClusterBus } from '../../cluster/clusterBus.js';
import { buildApiWorld, type ApiWorld, type Person } from '../../testing/apiWorld.js';
import { openSse } from '../../testing/sseReader.js';

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

  it('tells about a node another instance holds, as that instance announced it', async () => {
    const shared = new EventEmitter();
    const there = new LocalClusterBus('i-000000000002', shared);
    const w = await buildApiWorld({ cluster: new LocalClusterBus('i-000000000001', shared) });
    try {
      const a = await subscribe(w, 'aViewer');
      assert.equal((await a.next()).event, 'ready');
      await there.publish('node.route', { nodeId: 'nodeA', instanceId: there.instanceId, online: true, services: ['ssh', 'webui'] });
      const seen = await a.next();
      assert.deepEqual([seen.event, seen.data.id, seen.data.online, seen.data.services], ['node.online', 'nodeA', true, ['ssh', 'webui']]);
      a.close();
    } finally {
      await w.close();
    }
  });
});
