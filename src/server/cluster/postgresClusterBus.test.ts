import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import type { Database } from '../store/database.js';
import { TestStore } from '../store/testStores.js';
import { LocalClusterBus, type ClusterTopics } from './clusterBus.js';
import { openClusterBus } from './openClusterBus.js';
import { PostgresClusterBus } from './postgresClusterBus.js';

/** A clock whose timers fire on the next turn of the event loop, recording the delays asked for. */
function promptClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimeout(fn: () => void, ms: number): TimerHandle {
      delays.push(ms);
      return { id: setImmediate(fn) };
    },
    clearTimeout(h: TimerHandle) {
      clearImmediate(h.id as NodeJS.Immediate);
    },
  };
}

/** Collects one topic's messages and resolves once `n` have come. */
function collect<K extends keyof ClusterTopics>(bus: PostgresClusterBus, topic: K, n: number) {
  const got: { payload: ClusterTopics[K]; origin: string }[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  bus.subscribe(topic, (payload, origin) => {
    got.push({ payload, origin });
    if (got.length === n) done();
  });
  return { got, all };
}

describe('PostgresClusterBus', () => {
  const store = new TestStore('postgres');
  let db: Database;
  let other: Database;
  const clock = promptClock();
  const buses: PostgresClusterBus[] = [];
  const open = async (instanceId: string, on: Database) => {
    const bus = await openClusterBus(on, instanceId, { clock, log: silentLogger() });
    assert.ok(bus instanceof PostgresClusterBus, 'a PostgreSQL store gets the PostgreSQL bus');
    buses.push(bus);
    return bus;
  };
  before(async () => {
    db = await store.create();
    other = await store.another(db);
  });
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await store.close();
  });

  it('delivers each instance\'s messages to the other in order, with the origin, and its own once', async () => {
    const a = await open('i-aaaaaaaaaaaa', db);
    const b = await open('i-bbbbbbbbbbbb', other);
    const atB = collect(b, 'job.created', 20);
    const atA = collect(a, 'job.created', 20);
    const fromB = collect(a, 'instance.dead', 1);
    for (let i = 0; i < 20; i++) void a.publish('job.created', { jobId: `job_${i}` });
    await b.publish('instance.dead', { instanceId: 'i-cccccccccccc' });
    await atB.all;
    assert.deepEqual(atB.got.map((m) => m.payload.jobId), Array.from({ length: 20 }, (_, i) => `job_${i}`));
    assert.ok(atB.got.every((m) => m.origin === 'i-aaaaaaaaaaaa'));
    await fromB.all;
    assert.deepEqual(fromB.got, [{ payload: { instanceId: 'i-cccccccccccc' }, origin: 'i-bbbbbbbbbbbb' }]);
    // A's own messages reached its subscribers at once, and the round trip did not repeat them.
    const last = collect(b, 'job.created', 1);
    await a.publish('job.created', { jobId: 'job_last' });
    await last.all;
    assert.equal(atA.got.length, 21);
  });

  it('refuses a message over NOTIFY\'s limit, and delivers it nowhere', async () => {
    const a = await open('i-dddddddddddd', db);
    const seen = collect(a, 'job.created', 1);
    await assert.rejects(a.publish('job.created', { jobId: 'x'.repeat(8000) }), (err: Error) => err instanceof RangeError && /at most 7999/.test(err.message));
    assert.equal(seen.got.length, 0);
  });

  it('listens again after its connection is killed, and signals a resync', async () => {
    const a = await open('i-eeeeeeeeeeee', db);
    const b = await open('i-ffffffffffff', other);
    let resynced!: () => void;
    const resync = new Promise<void>((r) => (resynced = r));
    b.onResync(resynced);
    const before = clock.delays.length;
    const killed = await db.get<{ n: number }>("SELECT COUNT(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'burrow-bus-i-ffffffffffff'");
    assert.equal(killed?.n, 1);
    await resync;
    assert.equal(b.state, 'resyncing', 'views reload before the bus counts as up');
    await new Promise((r) => setImmediate(r));
    assert.equal(b.state, 'listening');
    assert.ok(clock.delays.length > before, 'the reconnect waited a backoff delay');
    const atB = collect(b, 'job.created', 1);
    await a.publish('job.created', { jobId: 'after-the-gap' });
    await atB.all;
    assert.deepEqual(atB.got, [{ payload: { jobId: 'after-the-gap' }, origin: 'i-eeeeeeeeeeee' }]);
  });
});

describe('openClusterBus', () => {
  it('gives a SQLite store, which one process uses, the in-process bus', async () => {
    const store = new TestStore('sqlite');
    try {
      const bus = await openClusterBus(await store.create(), 'i-aaaaaaaaaaaa', { clock: promptClock(), log: silentLogger() });
      assert.ok(bus instanceof LocalClusterBus);
      assert.equal(bus.instanceId, 'i-aaaaaaaaaaaa');
      await bus.close();
    } finally {
      await store.close();
    }
  });
});
