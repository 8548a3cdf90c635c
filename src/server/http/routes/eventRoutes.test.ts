import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, type ApiWorld, type Person } from '../../testing/apiWorld.js';

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

/** Reads Server-Sent Events frames from a live stream, one at a time. */
async function subscribe(world: ApiWorld, who: Person) {
  const abort = new AbortController();
  const res = await fetch(`${world.url}/v1/events`, { headers: { authorization: `Bearer ${world.tokens[who]}` }, signal: abort.signal });
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<Frame> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1];
          const data = /^data: (.*)$/m.exec(raw)?.[1];
          if (event && data) return { event, data: JSON.parse(data) as Record<string, unknown> };
          continue;
        }
        const chunk = await reader.read();
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => abort.abort(),
  };
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
});
