import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { insertGroup } from './groupStore.js';
import { insertNode } from './nodeStore.js';
import { claimTarget, failOrphanTargets, insertJob, listTargets } from './jobStore.js';
import { closeOrphanSessions, getSession, insertSession } from './sessionStore.js';
import { beatInstance, endInstance, getInstance, otherLiveInstances, registerInstance } from './instanceStore.js';
import { dropInstanceRoutes, dropNodeRoute, getNodeRoute, listNodeRoutes, putNodeRoute } from './nodeRouteStore.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const T = 1_700_000_000_000;
const X = 'i-00000000000a';
const Y = 'i-00000000000b';

// The rows that say which instance holds what: instances, node routes, and the instance of each session and job target.
describeEachStore('cluster stores', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    for (const id of ['nd_1', 'nd_2', 'nd_3']) {
      await insertNode(db, { id, name: id, groupId: 'root', publicKey: `key-${id}`, status: 'approved', services: ['webui'], agentVersion: '1.0', createdAt: T, enrolledBy: null });
    }
    for (const id of [X, Y]) await registerInstance(db, { id, peerUrl: `https://${id}.example:7443`, now: T });
  });

  it('a restart of instance X closes only its own sessions (and those from before instances), leaving Y\'s open', async () => {
    const base = { nodeId: 'nd_1', userId: null, service: 'webui', type: 'http' as const, port: 40001, sourceIp: '10.0.0.1', openedAt: T, expiresAt: T + 100 };
    await insertSession(db, { ...base, id: 'ses_x' }, X);
    await insertSession(db, { ...base, id: 'ses_y' }, Y);
    // A session from before instances were recorded: its server was the only one.
    await db.run("INSERT INTO sessions (id, node_id, service, type, port, source_ip, opened_at, expires_at) VALUES ('ses_old', 'nd_1', 'webui', 'http', 40003, '10.0.0.1', ?, ?)", [T, T + 100]);
    assert.equal(await closeOrphanSessions(db, T + 5, X), 2);
    assert.equal((await getSession(db, 'ses_x'))?.closeReason, 'server-restart');
    assert.equal((await getSession(db, 'ses_old'))?.closeReason, 'server-restart');
    assert.equal((await getSession(db, 'ses_y'))?.closedAt, null);
  });

  it('a restart of instance X fails only the job targets it was running', async () => {
    await insertJob(db, { id: 'job_1', kind: 'command', command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 60_000, stopAfterFailures: null, createdBy: null, groupId: 'root', createdAt: T, expiresAt: T + 1000 }, ['nd_1', 'nd_2', 'nd_3']);
    assert.equal(await claimTarget(db, 'job_1', 'nd_1', T, X), true);
    assert.equal(await claimTarget(db, 'job_1', 'nd_2', T, Y), true);
    assert.equal(await failOrphanTargets(db, T + 1, X), 1);
    assert.deepEqual((await listTargets(db, 'job_1')).map((t) => [t.nodeId, t.status]), [['nd_1', 'failed'], ['nd_2', 'running'], ['nd_3', 'pending']]);
  });

  it('keeps the newest route of a node, and drops only the route a connection wrote', async () => {
    const route = { nodeId: 'nd_1', services: ['webui'], targets: { webui: { scheme: 'http' as const, host: '127.0.0.1', port: 80 } }, remoteIp: '10.1.1.1' };
    assert.equal(await putNodeRoute(db, { ...route, instanceId: X, connectedAt: T + 10 }), true);
    // The node reconnected to Y; X's half-dead connection writes late and loses.
    assert.equal(await putNodeRoute(db, { ...route, instanceId: Y, connectedAt: T + 20 }), true);
    assert.equal(await putNodeRoute(db, { ...route, instanceId: X, connectedAt: T + 10, services: [] }), false);
    const held = await getNodeRoute(db, 'nd_1');
    assert.deepEqual([held?.instanceId, held?.services, held?.targets.webui?.port, held?.peerUrl], [Y, ['webui'], 80, `https://${Y}.example:7443`]);
    // X's connection ends: the route is Y's now, so it stays.
    assert.equal(await dropNodeRoute(db, 'nd_1', X, T + 10), false);
    assert.equal(await dropNodeRoute(db, 'nd_1', Y, T + 5), false, 'an older connection of Y does not drop the newer one');
    await putNodeRoute(db, { ...route, nodeId: 'nd_2', instanceId: Y, connectedAt: T });
    await putNodeRoute(db, { ...route, nodeId: 'nd_3', instanceId: X, connectedAt: T });
    assert.deepEqual(await db.transaction((tx) => dropInstanceRoutes(tx, Y)), ['nd_1', 'nd_2']);
    assert.deepEqual((await listNodeRoutes(db)).map((r) => [r.nodeId, r.instanceId]), [['nd_3', X]]);
    assert.equal(await dropNodeRoute(db, 'nd_3', X, T), true);
  });

  it('heartbeats a live instance, lists the others live, and ends an instance once, only at the heartbeat seen', async () => {
    assert.equal(await beatInstance(db, X, T + 30), true);
    assert.equal(await beatInstance(db, X, T + 30), true);
    assert.equal((await getInstance(db, X))?.heartbeatAt, T + 31, 'a beat always moves the heartbeat, even when the clock did not');
    assert.deepEqual((await otherLiveInstances(db, X)).map((i) => [i.id, i.heartbeatAt]), [[Y, T]]);
    assert.equal(await endInstance(db, X, 'dead', T + 30), false, 'not once it beat after the survivor looked');
    assert.equal(await endInstance(db, Y, 'dead', T), true);
    assert.equal(await endInstance(db, Y, 'dead', T), false);
    assert.equal(await beatInstance(db, Y, T + 40), false, 'a dead instance does not beat back to life');
    assert.deepEqual(await otherLiveInstances(db, X), []);
    await registerInstance(db, { id: Y, peerUrl: null, now: T + 50 });
    assert.deepEqual([(await getInstance(db, Y))?.state, (await getInstance(db, Y))?.peerUrl], ['live', null]);
  });
});
