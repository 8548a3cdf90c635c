import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import type { Database } from '../store/database.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { describeEachStore } from '../store/testStores.js';
import { insertGroup } from '../store/groupStore.js';
import { insertNode } from '../store/nodeStore.js';
import { claimTarget, insertJob, listTargets } from '../store/jobStore.js';
import { getSession, insertSession } from '../store/sessionStore.js';
import { getInstance } from '../store/instanceStore.js';
import { getNodeRoute, putNodeRoute } from '../store/nodeRouteStore.js';
import { listAudit } from '../store/auditStore.js';
import { ClusterBusNetwork } from '../testing/clusterBusNetwork.js';
import { InstanceRegistry } from './instanceRegistry.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const T = 1_700_000_000_000;
const [A, B, C] = ['i-00000000000a', 'i-00000000000b', 'i-00000000000c'];

describeEachStore('InstanceRegistry', (store) => {
  let db: Database;
  let network: ClusterBusNetwork;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    for (const id of ['nd_1', 'nd_2']) {
      await insertNode(db, { id, name: id, groupId: 'root', publicKey: `key-${id}`, status: 'approved', services: ['webui'], agentVersion: '1.0', createdAt: T, enrolledBy: null });
    }
    network = new ClusterBusNetwork();
  });

  /** An instance on its own connection to the store and its own clock, as a separate process would be. */
  async function instance(id: string, o: { clock?: FakeClock; onDeclaredDead?: () => void } = {}) {
    const clock = o.clock ?? new FakeClock(T);
    const registry = new InstanceRegistry({
      db: await store.another(db), bus: network.member(id), clock, log: silentLogger(), peerUrl: `https://${id}.example:7443`, heartbeatMs: 5_000, deadAfterMs: 20_000,
      ...(o.onDeclaredDead ? { onDeclaredDead: o.onDeclaredDead } : {}),
    });
    await registry.start();
    return { registry, clock };
  }

  /** Moves an instance's clock by one heartbeat and waits for that beat (and its sweep) to finish. */
  async function beat(i: { registry: InstanceRegistry; clock: FakeClock }): Promise<void> {
    i.clock.advance(5_000);
    await i.registry.idle();
  }

  it('heartbeats on its clock; a survivor declares a silent instance dead once, closing its sessions and freeing its routes', async () => {
    const a = await instance(A);
    let bDeclaredDead = 0;
    const b = await instance(B, { onDeclaredDead: () => (bDeclaredDead += 1) });
    const c = await instance(C);
    const session = { nodeId: 'nd_1', userId: null, service: 'webui', type: 'http' as const, port: 40001, sourceIp: '10.0.0.1', openedAt: T, expiresAt: T + 3_600_000 };
    await insertSession(db, { ...session, id: 'ses_a' }, A);
    await insertSession(db, { ...session, id: 'ses_b' }, B);
    await db.transaction((tx) => putNodeRoute(tx, { nodeId: 'nd_1', instanceId: B, services: ['webui'], targets: {}, connectedAt: T, remoteIp: '10.1.1.1' }));
    await insertJob(db, { id: 'job_1', kind: 'command', command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 60_000, stopAfterFailures: null, createdBy: null, groupId: 'root', createdAt: T, expiresAt: T + 3_600_000 }, ['nd_1', 'nd_2']);
    await claimTarget(db, 'job_1', 'nd_1', T, B);

    // A and C beat; B's clock stands still, as a process that stopped would.
    for (let i = 0; i < 4; i++) {
      await beat(a);
      await beat(c);
    }
    assert.equal((await getInstance(db, A))?.heartbeatAt, T + 20_000);
    assert.equal((await getInstance(db, B))?.state, 'live', 'silent for exactly deadAfterMs is not yet dead');
    await beat(a);
    await beat(c);

    assert.equal((await getInstance(db, B))?.state, 'dead');
    assert.equal((await getInstance(db, C))?.state, 'live');
    assert.deepEqual([(await getSession(db, 'ses_b'))?.closeReason, (await getSession(db, 'ses_b'))?.closedAt], ['instance-lost', T + 25_000]);
    assert.equal((await getSession(db, 'ses_a'))?.closedAt, null, 'a survivor keeps its own sessions');
    assert.equal(await getNodeRoute(db, 'nd_1'), undefined);
    assert.deepEqual((await listTargets(db, 'job_1')).map((t) => [t.nodeId, t.status]), [['nd_1', 'failed'], ['nd_2', 'pending']]);
    // C, which started watching B at T, gets there first (A started before B and saw it at its first beat).
    const entries = await listAudit(db, { action: 'instance.dead' });
    assert.equal(entries.length, 1);
    assert.deepEqual([entries[0]?.target, entries[0]?.object_type, JSON.parse(entries[0]?.detail ?? '{}')], [B, 'instance', { declaredBy: C, lastHeartbeat: new Date(T).toISOString(), sessions: 1, routes: 1, jobTargets: 1 }]);
    assert.deepEqual(network.on('instance.dead'), [{ payload: { instanceId: B }, origin: C }]);

    // B was only stalled: at its next beat it finds itself dead, lets go of what it held, and comes back.
    await beat(b);
    assert.equal(bDeclaredDead, 1);
    assert.equal((await getInstance(db, B))?.state, 'live');
    await Promise.all([a, b, c].map((i) => i.registry.close()));
  });

  it('declares no beating instance dead however far apart the clocks, and a silent one within deadAfterMs and a beat of the observer', async () => {
    let bDeclaredDead = 0;
    // C registers, then falls silent; B's clock is a minute ahead of A's, C's a minute behind.
    await instance(C, { clock: new FakeClock(T - 60_000) });
    const a = await instance(A);
    const b = await instance(B, { clock: new FakeClock(T + 60_000), onDeclaredDead: () => (bDeclaredDead += 1) });
    for (let i = 1; i <= 12; i++) {
      await beat(a);
      await beat(b);
      assert.deepEqual([(await getInstance(db, A))?.state, (await getInstance(db, B))?.state], ['live', 'live'], `after ${i} beats`);
      // A has watched C since it started (at T on its clock): silent for deadAfterMs and a beat, it is dead.
      assert.equal((await getInstance(db, C))?.state, i < 5 ? 'live' : 'dead', `C after ${i} beats`);
    }
    assert.equal(bDeclaredDead, 0);
    assert.deepEqual((await listAudit(db, { action: 'instance.dead' })).map((e) => [e.target, JSON.parse(e.detail ?? '{}').declaredBy]), [[C, A]]);
    await Promise.all([a, b].map((i) => i.registry.close()));
  });

  it('declares no instance dead when the observer\'s own clock steps forward between two looks', async () => {
    const fake = new FakeClock(T);
    let step = 0;
    // The wall clock the server runs on can be stepped (NTP); its timers still fire a heartbeat apart.
    const stepping = { now: () => fake.now() + step, setTimeout: fake.setTimeout.bind(fake), clearTimeout: fake.clearTimeout.bind(fake) };
    const b = await instance(B);
    const a = new InstanceRegistry({ db: await store.another(db), bus: network.member(A), clock: stepping, log: silentLogger(), peerUrl: null, heartbeatMs: 5_000, deadAfterMs: 20_000 });
    await a.start();
    fake.advance(5_000);
    await a.idle();
    // A looks again before B's next beat, its clock a minute further on.
    step = 60_000;
    fake.advance(5_000);
    await a.idle();
    assert.equal((await getInstance(db, B))?.state, 'live');
    await Promise.all([a.close(), b.registry.close()]);
  });

  it('heartbeats while every connection of its pool is held', { skip: store.engine === 'sqlite' ? 'one process, one connection: no pool to starve' : false }, async () => {
    const own = await store.another(db);
    const clock = new FakeClock(T);
    const registry = new InstanceRegistry({ db: own, bus: network.member(A), clock, log: silentLogger(), peerUrl: null, heartbeatMs: 5_000, deadAfterMs: 20_000 });
    await registry.start();
    // Ten slow write transactions hold the pool's ten connections (one holds the write lock, nine wait for it).
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holders = Array.from({ length: 10 }, () => own.transaction(() => gate));
    const writeLockRequests = async () => Number((await db.get<{ n: number }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = ?", [0x6275_7272]))?.n);
    while ((await writeLockRequests()) < 10) await new Promise((resolve) => setTimeout(resolve, 20));

    clock.advance(5_000);
    let watching = true;
    const landed = (async () => {
      while (watching && (await getInstance(db, A))?.heartbeatAt !== T + 5_000) await new Promise((resolve) => setTimeout(resolve, 20));
      return 'landed';
    })();
    // Waiting for the pool, the beat would give up after the pool's connection timeout (10 s).
    const outcome = await Promise.race([landed, registry.idle().then(() => 'the beat finished without landing')]);
    watching = false;
    release();
    await Promise.all(holders);
    await registry.close();
    assert.equal(outcome, 'landed');
  });

  it('two survivors sweeping at once declare a silent instance dead once', async () => {
    const clock = new FakeClock(T);
    await instance(B, { clock: new FakeClock(T) });
    const a = await instance(A, { clock });
    const c = await instance(C, { clock });
    // One clock: both beat, and sweep, at the same moments, each on its own connection.
    for (let i = 0; i < 5; i++) {
      clock.advance(5_000);
      await Promise.all([a.registry.idle(), c.registry.idle()]);
    }
    assert.deepEqual([(await getInstance(db, A))?.state, (await getInstance(db, C))?.state], ['live', 'live']);
    assert.equal((await getInstance(db, B))?.state, 'dead');
    assert.equal((await listAudit(db, { action: 'instance.dead' })).length, 1);
    assert.equal(network.on('instance.dead').length, 1);
    await Promise.all([a.registry.close(), c.registry.close()]);
  });

  it('drops the routes a previous run left at start, and its own routes at a clean stop', async () => {
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO instances (id, peer_url, started_at, heartbeat_at, state) VALUES (?, NULL, ?, ?, 'live')", [A, T - 60_000, T - 60_000]);
      await putNodeRoute(tx, { nodeId: 'nd_1', instanceId: A, services: ['webui'], targets: {}, connectedAt: T - 50_000, remoteIp: '10.1.1.1' });
    });
    const a = await instance(A);
    assert.equal(await getNodeRoute(db, 'nd_1'), undefined, 'its tunnels died with the previous run');
    assert.deepEqual((await getInstance(db, A))?.peerUrl, `https://${A}.example:7443`);
    await db.transaction((tx) => putNodeRoute(tx, { nodeId: 'nd_2', instanceId: A, services: ['webui'], targets: {}, connectedAt: T, remoteIp: '10.1.1.2' }));
    await a.registry.close();
    await a.registry.close();
    assert.equal(await getNodeRoute(db, 'nd_2'), undefined);
    assert.equal((await getInstance(db, A))?.state, 'stopped');
    assert.deepEqual(network.on('node.route').map((m) => [m.payload.nodeId, m.payload.online, m.origin]), [['nd_1', false, A], ['nd_2', false, A]]);
    // A stopped instance is not declared dead later.
    const c = await instance(C);
    c.clock.advance(60_000);
    await c.registry.idle();
    assert.equal((await getInstance(db, A))?.state, 'stopped');
    await c.registry.close();
  });

  /** Resolves once `clock` holds a timer: the registry is waiting on it. */
  async function untilWaiting(clock: FakeClock): Promise<void> {
    while (clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
  }

  it('refuses to start as an instance another process runs as, and takes over from a run that crashed', { skip: store.engine === 'sqlite' ? 'SQLite lives in the home, whose lock keeps a second process out' : false }, async () => {
    const a = await instance(A);
    await db.transaction((tx) => putNodeRoute(tx, { nodeId: 'nd_1', instanceId: A, services: ['webui'], targets: {}, connectedAt: T, remoteIp: '10.1.1.1' }));
    const copy = (clock: FakeClock) => new InstanceRegistry({ db, bus: network.member(A), clock, log: silentLogger(), peerUrl: 'https://copy.example:7443', heartbeatMs: 5_000, deadAfterMs: 20_000 });

    // A home restored from A's backup on another machine starts while A runs: A beats meanwhile.
    const twinClock = new FakeClock(T + 1_000);
    const twin = copy(twinClock);
    const refused = twin.start().then(() => 'started', (err: Error) => err.message);
    await untilWaiting(twinClock);
    await beat(a);
    twinClock.advance(10_000);
    assert.match(await refused, /running in another process/);
    assert.equal((await getNodeRoute(db, 'nd_1'))?.instanceId, A, 'the running instance keeps its routes');
    assert.equal((await getInstance(db, A))?.peerUrl, `https://${A}.example:7443`);
    assert.deepEqual(network.on('node.route'), [], 'no one was told its nodes went offline');
    await twin.close();

    // A crashes (its clock stands still): a restart watches the row for two heartbeats, then takes over.
    const restartClock = new FakeClock(T + 6_000);
    const restart = copy(restartClock);
    const started = restart.start().then(() => 'started', (err: Error) => err.message);
    await untilWaiting(restartClock);
    restartClock.advance(10_000);
    assert.equal(await started, 'started');
    assert.equal((await getInstance(db, A))?.peerUrl, 'https://copy.example:7443');
    assert.equal(await getNodeRoute(db, 'nd_1'), undefined, 'the crashed run\'s tunnels died with it');
    await restart.close();
    await a.registry.close();
  });

  it('refuses a dead-after shorter than two heartbeats', () => {
    assert.throws(() => new InstanceRegistry({ db, bus: network.member(A), clock: new FakeClock(T), log: silentLogger(), peerUrl: null, heartbeatMs: 5_000, deadAfterMs: 9_000 }), /at least twice/);
  });
});
