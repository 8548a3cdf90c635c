import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeWithApprovedNodes } from './approvedNodes.testkit.js';
import type { Database } from './database.js';
import { approvalReceived, askCancelRunning, cancelWaitingApproval, claimTarget, finishTarget, insertJob, listTargets, markWaitingApproval } from './jobStore.js';
import { describeEachStore } from './testStores.js';

const T = 1_700_000_000_000;

// A job target waiting for approval on site: shown as such, ended at once by a cancel, and of
// a cancel and an approval racing (two instances), exactly one wins.
describeEachStore('job targets waiting for approval on site', (store) => {
  let db: Database;
  let other: Database;
  beforeEach(async () => {
    db = await storeWithApprovedNodes(store, ['nd_1', 'nd_2']);
    other = await store.another(db);
    await insertJob(db, { id: 'job_1', kind: 'command', command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 1000, stopAfterFailures: null, createdBy: null, groupId: 'g1', createdAt: T, expiresAt: T + 60_000 }, ['nd_1', 'nd_2']);
    for (const n of ['nd_1', 'nd_2']) await claimTarget(db, 'job_1', n, T, 'i-000000000001');
  });

  const target = async (nodeId: string) => (await listTargets(db, 'job_1')).find((t) => t.nodeId === nodeId);

  it('records since when a target waits, and a cancel ends only waiting targets at once', async () => {
    assert.equal((await target('nd_1'))?.approvalWaitingSince, null);
    assert.equal(await markWaitingApproval(db, 'job_1', 'nd_1', T + 5), true);
    assert.equal((await target('nd_1'))?.approvalWaitingSince, T + 5);
    assert.equal((await target('nd_1'))?.status, 'running', 'status keeps its meaning for existing readers');
    assert.equal(await cancelWaitingApproval(other, 'job_1', T + 9), 1);
    const cancelled = await target('nd_1');
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal(cancelled?.finishedAt, T + 9);
    assert.equal(cancelled?.approvalWaitingSince, null);
    assert.equal((await target('nd_2'))?.status, 'running', 'a target delivered (not waiting) runs to its end');
    assert.equal(await approvalReceived(db, 'job_1', 'nd_1'), false, 'an approval after the cancel delivers nothing');
  });

  it('lets exactly one of an approval and a cancel racing win', async () => {
    await markWaitingApproval(db, 'job_1', 'nd_1', T + 5);
    const [approved, cancelled] = await Promise.all([db.transaction((tx) => approvalReceived(tx, 'job_1', 'nd_1')), other.transaction(async (tx) => (await cancelWaitingApproval(tx, 'job_1', T + 6)) + (await askCancelRunning(tx, 'job_1')))]);
    const t = await target('nd_1');
    if (approved) assert.equal(t?.status, 'running', 'approved first: delivered, the cancel only asks');
    else assert.equal(t?.status, 'cancelled');
    assert.ok(cancelled >= 1);
    await finishTarget(db, 'job_1', 'nd_1', { status: 'ok', exitCode: 0, stdout: '', stderr: '', error: null }, T + 7);
    assert.equal((await target('nd_1'))?.approvalWaitingSince, null);
  });

  it('refuses to mark a target cancelled before it asked', async () => {
    await askCancelRunning(db, 'job_1');
    assert.equal(await markWaitingApproval(db, 'job_1', 'nd_1', T + 5), false);
    assert.equal(await approvalReceived(db, 'job_1', 'nd_1'), false);
  });
});
