import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { deleteGroup, findGroup, groupContents, insertGroup, listGroups, setRememberBrowserDays, getGroup } from './groupStore.js';
import { consumeEnrollToken, getEnrollTokenByHash, insertEnrollToken, listEnrollTokens, revokeEnrollToken } from './enrollTokenStore.js';
import { getNode, getNodeByKey, insertNode, listNodes, listNodesNamed, markNodeSeen, promoteNextPublicKey, setNextPublicKey } from './nodeStore.js';
import { closeOrphanSessions, closeSessionRecord, getSession, insertSession, listSessions, setSessionExpiry } from './sessionStore.js';
import { getSessionRequest, insertSessionRequest, listSessionRequests, settleSessionRequest } from './sessionRequestStore.js';
import { finishRecording, groupRecordsShell, insertRecording, listRecordings, setGroupRecordsShell } from './recordingStore.js';
import { claimTarget, closePending, countFailed, failOrphanTargets, finishTarget, getJob, insertJob, jobsToExpire, listJobs, listTargets, nextPendingJob, type JobRecord } from './jobStore.js';
import { insertUser } from './userStore.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
/** A time past 2^31 ms, so a 32-bit column would overflow. */
const T = 1_700_000_000_000;

const job = (id: string, over: Partial<JobRecord> = {}): JobRecord => ({
  id,
  kind: 'push',
  command: null,
  path: '/tmp/f',
  mode: 0o644,
  payload: Buffer.from([0, 1, 2, 255]),
  sha256: 'ab',
  manifest: null,
  signature: null,
  timeoutMs: 60_000,
  stopAfterFailures: null,
  createdBy: 'usr_a',
  groupId: 'g1',
  createdAt: T,
  expiresAt: T + 1000,
  ...over,
});

// The stores of groups, nodes and the work done on them, as each engine runs their SQL.
describeEachStore('node and work stores', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    await insertGroup(db, { id: 'g1', name: 'customer', parentId: 'root' }, T);
    await insertUser(db, { id: 'usr_a', email: 'a@example.com', passwordHash: 'h', totpSecretEnc: null, totpConfirmed: true, createdAt: T });
    for (const id of ['nd_1', 'nd_2']) {
      await insertNode(db, { id, name: 'gw', groupId: 'g1', publicKey: `key-${id}`, status: 'approved', services: ['webui'], agentVersion: '1.0', createdAt: T, enrolledBy: null });
    }
  });

  it('finds, counts, configures and deletes groups', async () => {
    assert.equal((await findGroup(db, 'customer'))?.id, 'g1');
    assert.deepEqual((await listGroups(db)).map((g) => g.name), ['customer', 'root']);
    assert.deepEqual(await groupContents(db, 'g1'), { groups: 0, nodes: 2, grants: 0, tokens: 0 });
    await setRememberBrowserDays(db, 'g1', 7);
    assert.equal((await getGroup(db, 'g1'))?.rememberBrowserDays, 7);
    await setGroupRecordsShell(db, 'g1', false);
    assert.equal(await groupRecordsShell(db, 'g1'), false);
    await insertGroup(db, { id: 'g2', name: 'empty', parentId: 'root' }, T);
    await deleteGroup(db, 'g2');
    assert.equal(await getGroup(db, 'g2'), undefined);
  });

  it('consumes an enrollment token at most max-uses times, and not once revoked', async () => {
    await insertEnrollToken(db, { id: 'et_1', tokenHash: 'eh', groupId: 'g1', maxUses: 2, autoApprove: true, createdBy: 'usr_a', createdAt: T, expiresAt: T + 1000 });
    assert.equal(await consumeEnrollToken(db, 'et_1', T), true);
    assert.equal(await consumeEnrollToken(db, 'et_1', T), true);
    assert.equal(await consumeEnrollToken(db, 'et_1', T), false);
    assert.equal((await getEnrollTokenByHash(db, 'eh'))?.uses, 2);
    assert.equal((await listEnrollTokens(db))[0]?.autoApprove, true);
    assert.equal(await revokeEnrollToken(db, 'et_1', T), true);
    assert.equal(await revokeEnrollToken(db, 'et_1', T), false);
  });

  it('records nodes, their visits and a rotated key', async () => {
    assert.deepEqual((await listNodesNamed(db, 'gw')).map((n) => n.id), ['nd_1', 'nd_2']);
    assert.equal((await listNodes(db)).length, 2);
    await markNodeSeen(db, 'nd_1', T + 5, ['webui', 'shell']);
    await setNextPublicKey(db, 'nd_1', 'key-new', T + 6);
    await promoteNextPublicKey(db, 'nd_1');
    const n = await getNodeByKey(db, 'key-new');
    assert.equal(n?.id, 'nd_1');
    assert.equal(n?.lastSeenAt, T + 5);
    assert.deepEqual(n?.services, ['webui', 'shell']);
    assert.equal((await getNode(db, 'nd_1'))?.keyRegisteredAt, T + 6);
  });

  it('opens, extends and closes sessions; a restart closes the orphans', async () => {
    const base = { nodeId: 'nd_1', userId: 'usr_a', service: 'webui', type: 'http' as const, sourceIp: '10.0.0.1', openedAt: T, expiresAt: T + 100 };
    await insertSession(db, { ...base, id: 'ses_1', port: 40001 }, 'i-000000000001');
    await insertSession(db, { ...base, id: 'ses_2', port: 40002, openedAt: T + 1 }, 'i-000000000001');
    await setSessionExpiry(db, 'ses_1', T + 200);
    await closeSessionRecord(db, 'ses_1', { at: T + 50, reason: 'closed', bytesUp: 5_000_000_000, bytesDown: 7 });
    const s = await getSession(db, 'ses_1');
    assert.deepEqual([s?.expiresAt, s?.closeReason, s?.bytesUp], [T + 200, 'closed', 5_000_000_000]);
    assert.deepEqual((await listSessions(db)).map((x) => x.id), ['ses_2']);
    assert.equal(await closeOrphanSessions(db, T + 60, 'i-000000000001'), 1);
    assert.deepEqual((await listSessions(db, { all: true })).map((x) => [x.id, x.closeReason]), [['ses_2', 'server-restart'], ['ses_1', 'closed']]);
  });

  it('settles a queued session request once', async () => {
    await insertSessionRequest(db, { id: 'sr_1', nodeId: 'nd_1', userId: 'usr_a', service: 'webui', sourceIp: '10.0.0.1', requestedAt: T, expiresAt: T + 100 });
    assert.deepEqual((await listSessionRequests(db, { nodeId: 'nd_1' })).map((r) => r.state), ['queued']);
    assert.equal(await settleSessionRequest(db, 'sr_1', { state: 'cancelled', at: T + 1, reason: 'user' }), true);
    assert.equal(await settleSessionRequest(db, 'sr_1', { state: 'expired', at: T + 2 }), false);
    assert.equal((await getSessionRequest(db, 'sr_1'))?.reason, 'user');
    assert.deepEqual(await listSessionRequests(db), []);
  });

  it('lists recordings with node names and user emails', async () => {
    await insertRecording(db, { id: 'rec_1', nodeId: 'nd_1', groupId: 'g1', userId: 'usr_a', startedAt: T });
    await finishRecording(db, 'rec_1', T + 9, 123);
    const [r] = await listRecordings(db, { groupIds: ['g1'], limit: 10 });
    assert.deepEqual([r?.nodeName, r?.userEmail, r?.bytes, r?.endedAt], ['gw', 'a@example.com', 123, T + 9]);
    assert.deepEqual(await listRecordings(db, { nodeId: 'nd_2', limit: 10 }), []);
  });

  it('queues a job per node, claims it once, and expires or fails what is left', async () => {
    await insertJob(db, job('job_1'), ['nd_1', 'nd_2']);
    assert.deepEqual((await getJob(db, 'job_1'))?.payload, Buffer.from([0, 1, 2, 255]));
    assert.equal((await listJobs(db))[0]?.payload, null, 'listing leaves the payload out');
    assert.equal((await nextPendingJob(db, 'nd_1'))?.id, 'job_1');
    assert.equal(await claimTarget(db, 'job_1', 'nd_1', T + 1, 'i-000000000001'), true);
    assert.equal(await claimTarget(db, 'job_1', 'nd_1', T + 1, 'i-000000000001'), false);
    await finishTarget(db, 'job_1', 'nd_1', { status: 'failed', exitCode: 2, stdout: 'o', stderr: 'e', error: null }, T + 2);
    assert.equal(await countFailed(db, 'job_1'), 1);
    assert.deepEqual(await jobsToExpire(db, T + 1000), [{ id: 'job_1', groupId: 'g1' }]);
    assert.equal(await closePending(db, 'job_1', 'expired', 'too late', T + 1000), 1);
    assert.deepEqual((await listTargets(db, 'job_1')).map((t) => [t.nodeId, t.status, t.exitCode]), [['nd_1', 'failed', 2], ['nd_2', 'expired', null]]);
    await insertJob(db, job('job_2', { kind: 'command', command: 'true', path: null, mode: null, payload: null }), ['nd_2']);
    await claimTarget(db, 'job_2', 'nd_2', T, 'i-000000000001');
    assert.equal(await failOrphanTargets(db, T + 3, 'i-000000000001'), 1);
  });
});
