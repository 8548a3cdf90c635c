import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import type { SessionLock, SessionLockHandlers, SessionLocks } from '../store/database.js';
import { SoleLeader } from './leaderLease.js';
import { leaseMoveAllowed, StoreLeaderLease, type LeaseState } from './storeLeaderLease.js';

/** Locks as a database holds them: one holder per key; a connection cut (`cut`) releases its locks. */
function fakeLocks() {
  const holders = new Map<number, object>();
  const conns = new Map<string, { conn: object; handlers: SessionLockHandlers; gone: boolean }>();
  const f = {
    down: false,
    holder: (key: number) => [...conns].find(([, c]) => holders.get(key) === c.conn)?.[0],
    /** The database drops the connection named `name` (its process died, or the link did). */
    cut(name: string, o: { heard: boolean } = { heard: true }) {
      const c = conns.get(name);
      if (!c || c.gone) return;
      c.gone = true;
      for (const [k, h] of holders) if (h === c.conn) holders.delete(k);
      if (o.heard) c.handlers.lost(new Error('terminated'));
    },
    locks: {
      open(key: number, handlers: SessionLockHandlers): Promise<SessionLock> {
        if (f.down) return Promise.reject(new Error('connection refused'));
        const entry = { conn: {}, handlers, gone: false };
        conns.set(handlers.name, entry);
        return Promise.resolve({
          tryTake() {
            if (entry.gone) return Promise.reject(new Error('connection gone'));
            const h = holders.get(key);
            if (h === undefined) holders.set(key, entry.conn);
            return Promise.resolve(holders.get(key) === entry.conn);
          },
          check: () => Promise.resolve(!entry.gone),
          close() {
            entry.gone = true;
            if (holders.get(key) === entry.conn) holders.delete(key);
            return Promise.resolve();
          },
        });
      },
    } satisfies SessionLocks,
  };
  return f;
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A lease for instance `name` that records its elections and depositions in `log`. */
async function lease(f: ReturnType<typeof fakeLocks>, clock: FakeClock, name: string, log: string[]): Promise<StoreLeaderLease> {
  const l = new StoreLeaderLease({ locks: f.locks, key: 7, name, clock, log: silentLogger(), retryMs: 2_000 });
  await l.start({ elected: async () => void log.push(`${name} elected`), deposed: async () => void log.push(`${name} deposed`) });
  return l;
}

describe('StoreLeaderLease', () => {
  it('allows only the moves of its state table', () => {
    const all: LeaseState[] = ['initial', 'following', 'leading', 'closed'];
    const allowed = all.flatMap((from) => all.filter((to) => leaseMoveAllowed(from, to)).map((to) => `${from}->${to}`));
    assert.deepEqual(allowed, ['initial->following', 'initial->leading', 'initial->closed', 'following->leading', 'following->closed', 'leading->following', 'leading->closed']);
  });

  it('lets exactly one instance lead; when its connection dies another takes over within one retry', async () => {
    const clock = new FakeClock(0);
    const f = fakeLocks();
    const log: string[] = [];
    const a = await lease(f, clock, 'a', log);
    const b = await lease(f, clock, 'b', log);
    const c = await lease(f, clock, 'c', log);
    assert.deepEqual([a.state, b.state, c.state], ['leading', 'following', 'following']);
    clock.advance(10_000);
    await flush();
    assert.deepEqual(log, ['a elected'], 'followers keep trying without taking it');
    // a's process is killed: the database releases its lock, a hears nothing more.
    f.cut('a');
    await flush();
    assert.deepEqual(log, ['a elected', 'a deposed']);
    clock.advance(2_000);
    await flush();
    assert.equal([b, c].filter((l) => l.leading).length, 1, 'one follower took over at its next try');
    assert.equal(f.holder(7), b.leading ? 'b' : 'c');
    for (const l of [a, b, c]) await l.close();
    assert.equal(f.holder(7), undefined);
    assert.equal(clock.pending, 0);
  });

  it('a leader stands down on its next check when the store stops answering it', async () => {
    const clock = new FakeClock(0);
    const f = fakeLocks();
    const log: string[] = [];
    const a = await lease(f, clock, 'a', log);
    const b = await lease(f, clock, 'b', log);
    // The database dropped a's connection but a heard nothing (a half-open link): its check finds out.
    f.cut('a', { heard: false });
    await flush();
    assert.equal(a.state, 'leading');
    clock.advance(2_000);
    await flush();
    // Both beats fall together: b may take the free lock a moment before a finds it lost.
    assert.deepEqual([a.state, b.state], ['following', 'leading']);
    assert.deepEqual([...log].sort(), ['a deposed', 'a elected', 'b elected']);
    await a.close();
    await b.close();
    assert.equal(log.at(-1), 'b deposed');
  });

  it('follows while the store is away, and leads once it is back', async () => {
    const clock = new FakeClock(0);
    const f = fakeLocks();
    f.down = true;
    const log: string[] = [];
    const a = await lease(f, clock, 'a', log);
    assert.equal(a.state, 'following');
    f.down = false;
    clock.advance(2_000);
    await flush();
    assert.equal(a.state, 'leading');
    await a.close();
    assert.equal(a.state, 'closed');
  });

  it('gives the lease up when the leader work fails to start', async () => {
    const clock = new FakeClock(0);
    const f = fakeLocks();
    const a = new StoreLeaderLease({ locks: f.locks, key: 7, name: 'a', clock, log: silentLogger() });
    await a.start({ elected: () => Promise.reject(new Error('store away')), deposed: () => Promise.resolve() });
    assert.equal(a.state, 'following');
    assert.equal(f.holder(7), undefined, 'the lock is free for another instance');
    await a.close();
  });
});

describe('SoleLeader', () => {
  it('leads from start to close', async () => {
    const log: string[] = [];
    const l = new SoleLeader();
    assert.equal(l.leading, false);
    await l.start({ elected: async () => void log.push('elected'), deposed: async () => void log.push('deposed') });
    assert.equal(l.leading, true);
    await l.close();
    await l.close();
    assert.deepEqual([l.leading, log], [false, ['elected', 'deposed']]);
  });
});
