import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import type { NotifyHandlers, Notifications } from '../store/database.js';
import { busMoveAllowed, PostgresClusterBus, type BusState } from './postgresClusterBus.js';

/** Notifications whose listen fails while `down` is set; `drop()` cuts the live listener. */
function fakeNotifications() {
  const f = {
    down: false,
    attempts: 0,
    handlers: undefined as NotifyHandlers | undefined,
    drop: () => f.handlers?.lost(new Error('terminated')),
    notifications: {
      maxPayloadBytes: 7999,
      notify: () => Promise.resolve(),
      listen: (_channel: string, h: NotifyHandlers) => {
        f.attempts++;
        if (f.down) return Promise.reject(new Error('connection refused'));
        f.handlers = h;
        return Promise.resolve({ close: () => Promise.resolve() });
      },
    } satisfies Notifications,
  };
  return f;
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('PostgresClusterBus reconnects', () => {
  it('allows only the moves of its state table', () => {
    const all: BusState[] = ['initial', 'listening', 'reconnecting', 'resyncing', 'closed'];
    const allowed = all.flatMap((from) => all.filter((to) => busMoveAllowed(from, to)).map((to) => `${from}->${to}`));
    assert.deepEqual(allowed, [
      'initial->listening', 'initial->closed',
      'listening->reconnecting', 'listening->closed',
      'reconnecting->resyncing', 'reconnecting->closed',
      'resyncing->listening', 'resyncing->reconnecting', 'resyncing->closed',
    ]);
  });

  it('is resyncing, not listening, until every resync listener has reloaded its view', async () => {
    const clock = new FakeClock(1_000);
    const f = fakeNotifications();
    const bus = await PostgresClusterBus.open({ instanceId: 'i-aaaaaaaaaaaa', notifications: f.notifications, clock, log: silentLogger(), backoff: { initialMs: 100, maxMs: 1_000, random: () => 0.5 } });
    assert.equal(bus.state, 'listening');
    let reloaded!: () => void;
    bus.onResync(() => new Promise<void>((resolve) => (reloaded = resolve)));
    bus.onResync(() => undefined);
    f.drop();
    assert.equal(bus.state, 'reconnecting');
    clock.advance(100);
    await flush();
    assert.equal(bus.state, 'resyncing', 'listening again, but a view is still being reloaded');
    reloaded();
    await flush();
    assert.equal(bus.state, 'listening');
    await bus.close();
  });

  it('a listener that fails its reload does not hold the bus in resyncing', async () => {
    const clock = new FakeClock(1_000);
    const f = fakeNotifications();
    const bus = await PostgresClusterBus.open({ instanceId: 'i-aaaaaaaaaaaa', notifications: f.notifications, clock, log: silentLogger(), backoff: { initialMs: 100, maxMs: 1_000, random: () => 0.5 } });
    bus.onResync(() => Promise.reject(new Error('store away')));
    f.drop();
    clock.advance(100);
    await flush();
    assert.equal(bus.state, 'listening');
    await bus.close();
  });

  it('backs off while the database is away, resyncs once it is back, and resets the backoff', async () => {
    const clock = new FakeClock(1_000);
    const f = fakeNotifications();
    const bus = await PostgresClusterBus.open({ instanceId: 'i-aaaaaaaaaaaa', notifications: f.notifications, clock, log: silentLogger(), backoff: { initialMs: 100, maxMs: 1_000, random: () => 0.5 } });
    let resyncs = 0;
    bus.onResync(() => {
      resyncs++;
    });
    f.down = true;
    f.drop();
    assert.equal(bus.state, 'reconnecting');
    clock.advance(99);
    await flush();
    assert.equal(f.attempts, 1, 'no attempt before the first delay');
    clock.advance(1);
    await flush();
    assert.equal(f.attempts, 2);
    clock.advance(199);
    await flush();
    assert.equal(f.attempts, 2, 'the second delay doubled');
    f.down = false;
    clock.advance(1);
    await flush();
    assert.deepEqual([f.attempts, bus.state, resyncs], [3, 'listening', 1]);
    f.drop();
    clock.advance(100);
    await flush();
    assert.deepEqual([f.attempts, bus.state, resyncs], [4, 'listening', 2], 'after a success the backoff starts over');
    await bus.close();
  });

  it('stops trying once closed', async () => {
    const clock = new FakeClock(0);
    const f = fakeNotifications();
    const bus = await PostgresClusterBus.open({ instanceId: 'i-aaaaaaaaaaaa', notifications: f.notifications, clock, log: silentLogger() });
    f.drop();
    await bus.close();
    assert.equal(clock.pending, 0);
    clock.advance(60_000);
    await flush();
    assert.deepEqual([f.attempts, bus.state], [1, 'closed']);
    await bus.publish('job.created', { jobId: 'j' });
  });
});
