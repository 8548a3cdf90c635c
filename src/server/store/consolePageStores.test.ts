import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { getGroup, groupNameTaken, insertGroup, moveGroup, renameGroup } from './groupStore.js';
import { insertNode } from './nodeStore.js';
import { insertRecording, listRecordings } from './recordingStore.js';
import { insertJob, targetStatusesOf } from './jobStore.js';
import { insertUser } from './userStore.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
/** A time past 2^31 ms, so a 32-bit column would overflow. */
const T = 1_700_000_000_000;

// Issue 22: the queries behind the console's group tree, jobs and recordings pages, on each engine.
describeEachStore('stores behind the console pages', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    await insertGroup(db, { id: 'g1', name: 'acme', parentId: 'root' }, T);
    await insertGroup(db, { id: 'g2', name: 'lyon', parentId: 'root' }, T);
    for (const id of ['usr_a', 'usr_b']) await insertUser(db, { id, email: `${id}@example.com`, passwordHash: 'h', totpSecretEnc: null, totpConfirmed: true, createdAt: T });
    for (const id of ['nd_1', 'nd_2']) {
      await insertNode(db, { id, name: id, groupId: 'g1', publicKey: `key-${id}`, status: 'approved', services: ['webui'], agentVersion: '1.0', createdAt: T, enrolledBy: null });
    }
  });

  it('renames and moves groups, and tells a sibling name already taken', async () => {
    assert.equal(await groupNameTaken(db, 'root', 'lyon', 'g1'), true);
    assert.equal(await groupNameTaken(db, 'root', 'lyon', 'g2'), false, 'a group does not clash with itself');
    await renameGroup(db, 'g2', 'paris');
    await moveGroup(db, 'g2', 'g1');
    const g = await getGroup(db, 'g2');
    assert.deepEqual([g?.name, g?.parentId], ['paris', 'g1']);
  });

  it("lists each job's targets with their status", async () => {
    const base = { kind: 'command' as const, command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 1000, stopAfterFailures: null, createdBy: 'usr_a', groupId: 'g1', createdAt: T, expiresAt: T + 1000 };
    await insertJob(db, { ...base, id: 'job_1' }, ['nd_2', 'nd_1']);
    await insertJob(db, { ...base, id: 'job_2' }, ['nd_2']);
    const m = await targetStatusesOf(db, ['job_1', 'job_2', 'job_none']);
    assert.deepEqual(m.get('job_1'), [{ nodeId: 'nd_1', status: 'pending', approvalWaitingSince: null }, { nodeId: 'nd_2', status: 'pending', approvalWaitingSince: null }]);
    assert.deepEqual(m.get('job_2'), [{ nodeId: 'nd_2', status: 'pending', approvalWaitingSince: null }]);
    assert.deepEqual(m.get('job_none'), []);
    assert.equal((await targetStatusesOf(db, [])).size, 0);
  });

  it('lists recordings of one user and of a time span', async () => {
    await insertRecording(db, { id: 'rec_1', nodeId: 'nd_1', groupId: 'g1', userId: 'usr_a', startedAt: T });
    await insertRecording(db, { id: 'rec_2', nodeId: 'nd_1', groupId: 'g1', userId: 'usr_b', startedAt: T + 60_000 });
    const ids = async (f: { userId?: string; since?: number; until?: number }) => (await listRecordings(db, { ...f, limit: 10 })).map((r) => r.id);
    assert.deepEqual(await ids({ userId: 'usr_a' }), ['rec_1']);
    assert.deepEqual(await ids({ since: T + 1 }), ['rec_2']);
    assert.deepEqual(await ids({ until: T + 1 }), ['rec_1']);
    assert.deepEqual(await ids({ userId: 'usr_b', until: T + 1 }), []);
  });
});
