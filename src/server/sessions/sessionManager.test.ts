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
      instanceId: 'i-000000000001',
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

describe('SessionManager, tickets of tcp sessions', () => {
  let world: ApiWorld;
  let sessions: SessionManager;
  before(async () => {
    world = await buildApiWorld();
    const registry = new NodeRegistry();
    registry.add(fakeConnection('nodeA'));
    sessions = new SessionManager({
      db: world.deps.db,
      registry,
      instanceId: 'i-000000000001',
      clock: world.deps.clock,
      log: silentLogger(),
      tlsOptions: {},
      limits: { range: [40000, 40100], host: '127.0.0.1', publicHost: '127.0.0.1', ttlMs: 3_600_000, idleMs: 600_000, nodeGraceMs: 1000, concurrency: { perUser: 20, perNode: 20, total: 100 } },
    });
  });
  after(async () => {
    await sessions.closeAll('test-end');
    await world.close();
  });

  const open = (extra: { bare?: boolean; type?: 'http' | 'tcp' } = {}) =>
    sessions.open({ nodeId: 'nodeA', service: 'webui', type: 'tcp', userId: world.userIds.aOperator, sourceIp: '127.0.0.1', ...extra });
  const code = (c: string) => (err: Error & { code?: string }) => err.code === c;

  it('issues tickets to the opener only, and none once the session closed', async () => {
    const s = await open();
    assert.equal(s.url, `tcp+tls://127.0.0.1:${s.port}`);
    const t = await sessions.ticket(s.id, world.userIds.aOperator, '127.0.0.1');
    assert.match(t.ticket, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual({ host: t.host, port: t.port, service: t.service }, { host: '127.0.0.1', port: s.port, service: 'webui' });
    await assert.rejects(sessions.ticket(s.id, world.userIds.aAdmin, '127.0.0.1'), code('FORBIDDEN'));
    await sessions.close(s.id, 'closed-by-user');
    await assert.rejects(sessions.ticket(s.id, world.userIds.aOperator, '127.0.0.1'), code('SESSION_CLOSED'));
  });

  it('opens a bare tcp session only on request, refuses bare http, and gives a bare session no tickets', async () => {
    await assert.rejects(open({ bare: true, type: 'http' }), code('VALIDATION'));
    const s = await open({ bare: true });
    assert.equal(s.bare, true);
    assert.equal(s.url, `tcp://127.0.0.1:${s.port}`);
    await assert.rejects(sessions.ticket(s.id, world.userIds.aOperator, '127.0.0.1'), code('VALIDATION'));
  });
});
