import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { FakeClock } from '../shared/clock.js';
import { silentLogger } from '../shared/log.js';
import type { SessionView } from '../shared/protocol.js';
import type { NodeConnection } from './gateway/nodeConnection.js';
import { NodeRegistry } from './gateway/nodeRegistry.js';
import { SessionQueue } from './sessionQueue.js';
import { buildApiWorld, type ApiWorld } from './testing/apiWorld.js';

describe('SessionQueue, a node checking in', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(async () => {
    await world.close();
  });

  it('opens a queued session as soon as the node announces its service, on no timer', async () => {
    // The clock never moves: only the announcement can let the session open.
    const clock = new FakeClock(Date.now());
    const registry = new NodeRegistry();
    const opened: string[] = [];
    let openedOne!: () => void;
    const firstOpen = new Promise<void>((resolve) => {
      openedOne = resolve;
    });
    new SessionQueue({
      db: world.deps.db,
      clock,
      log: silentLogger(),
      registry,
      maxWaitMs: 3_600_000,
      viewSession: async () => null,
      sessions: {
        open: async (req) => {
          opened.push(`${req.nodeId}/${req.service}`);
          openedOne();
          return { id: 'ses_q', nodeId: req.nodeId, service: req.service, port: 40_001, url: 'https://x/', state: 'open', openedAt: '', expiresAt: '', closedAt: null, closeReason: null } satisfies SessionView;
        },
        close: async () => true,
      },
    });
    const conn = Object.assign(new EventEmitter(), { nodeId: 'nodeA', services: new Set<string>(), targets: new Map(), close: () => conn.emit('close') });
    registry.add(conn as unknown as NodeConnection);
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };
    await turns(10);
    assert.deepEqual(opened, [], 'opened before the node announced the service');
    conn.services.add('webui');
    conn.emit('services', ['webui']);
    // The store reads take real time; only a broken queue comes near this guard.
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([firstOpen, new Promise((resolve) => {
      guard = setTimeout(resolve, 10_000);
    })]);
    clearTimeout(guard);
    assert.deepEqual(opened, ['nodeA/webui']);
    registry.disconnect('nodeA');
  });

  it('leaves a node held by another instance to that instance: no store read, nothing opened here', () => {
    let reads = 0;
    const db = Object.assign(Object.create(world.deps.db) as typeof world.deps.db, {
      all: (...args: Parameters<typeof world.deps.db.all>) => {
        reads += 1;
        return world.deps.db.all(...args);
      },
    });
    // nodeA (with a request queued for it) is online, through another instance.
    const directory = Object.assign(new EventEmitter(), { isOnline: () => true, holds: () => false, get: () => undefined, size: 1, disconnect: () => undefined });
    new SessionQueue({
      db,
      clock: new FakeClock(Date.now()),
      log: silentLogger(),
      registry: directory,
      maxWaitMs: 3_600_000,
      viewSession: async () => null,
      sessions: { open: () => Promise.reject(new Error('opened on the wrong instance')), close: async () => true },
    });
    directory.emit('online', 'nodeA');
    assert.equal(reads, 0, 'this instance started opening the queued sessions of a node it does not hold');
  });
});
