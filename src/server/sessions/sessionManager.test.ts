import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../shared/log.js';
import type { SessionView } from '../../shared/protocol.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import type { Database } from '../store/database.js';
import { getSession } from '../store/sessionStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { SessionManager } from './sessionManager.js';

/** A connected node offering `webui`, without a tunnel behind it. */
function fakeConnection(nodeId: string): NodeConnection {
  const conn = Object.assign(new EventEmitter(), { nodeId, services: new Set(['webui']), targets: new Map(), close: () => conn.emit('close') });
  return conn as unknown as NodeConnection;
}

describe('SessionManager, a session still opening', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(async () => {
    await world.close();
  });

  /** A manager whose first write transaction waits until `release()`: its session stays `opening`. */
  function heldManager(): { sessions: SessionManager; reached: Promise<void>; release: () => void } {
    const db = world.deps.db;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reach!: () => void;
    const reached = new Promise<void>((resolve) => {
      reach = resolve;
    });
    const held = Object.assign(Object.create(db) as Database, {
      transaction: <T>(fn: Parameters<Database['transaction']>[0]) => {
        reach();
        return gate.then(() => db.transaction(fn)) as Promise<T>;
      },
    });
    const registry = new NodeRegistry();
    registry.add(fakeConnection('nodeA'));
    const sessions = new SessionManager({
      db: held,
      registry,
      clock: world.deps.clock,
      log: silentLogger(),
      tlsOptions: {},
      limits: { range: [40000, 40100], host: '127.0.0.1', publicHost: '127.0.0.1', ttlMs: 3_600_000, idleMs: 600_000, nodeGraceMs: 1000, concurrency: { perUser: 20, perNode: 20, total: 100 } },
    });
    return { sessions, reached, release };
  }

  for (const [what, reason, closeIt] of [
    ['its user is disabled', 'user-disabled', (s: SessionManager) => s.closeForUser(world.userIds.aOperator, 'user-disabled')],
    ['its node is revoked', 'node-revoked', (s: SessionManager) => s.closeForNode('nodeA', 'node-revoked')],
  ] as const) {
    it(`is closed when ${what}, and its opener is told`, async () => {
      const { sessions, reached, release } = heldManager();
      const closed = new Promise<SessionView>((resolve) => sessions.once('closed', resolve));
      const opening = sessions.open({ nodeId: 'nodeA', service: 'webui', type: 'tcp', userId: world.userIds.aOperator, sourceIp: '127.0.0.1' });
      const refused = assert.rejects(opening, (err: Error & { code?: string }) => err.code === 'SESSION_CLOSED');
      await reached;
      const closing = closeIt(sessions);
      release();
      try {
        assert.equal(await closing, 1);
        await refused;
        const record = await getSession(world.deps.db, (await closed).id);
        assert.equal(record?.closeReason, reason);
        assert.notEqual(record?.closedAt, null);
      } finally {
        // Whatever the outcome, no port stays bound past the test.
        await opening.catch(() => undefined);
        await sessions.closeAll('test-end');
      }
    });
  }
});
