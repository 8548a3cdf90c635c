import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeWithApprovedNodes } from './approvedNodes.testkit.js';
import type { Database } from './database.js';
import { claimTarget, insertJob, listTargets, nodesWithPendingJobs, pendingTargetsOf } from './jobStore.js';
import { describeEachStore } from './testStores.js';

const T = 1_700_000_000_000;
const NODES = ['nd_1', 'nd_2', 'nd_3', 'nd_4', 'nd_5', 'nd_6', 'nd_7', 'nd_8'];

// Two instances (two connections to one database) may both try to deliver one node's part
// of a job, e.g. when the node reconnects to the other instance mid-claim: one must win.
describeEachStore('job target claims', (store) => {
  let db: Database;
  let other: Database;
  beforeEach(async () => {
    db = await storeWithApprovedNodes(store, NODES);
    other = await store.another(db);
    await insertJob(db, { id: 'job_1', kind: 'command', command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 1000, stopAfterFailures: null, createdBy: null, groupId: 'g1', createdAt: T, expiresAt: T + 60_000 }, NODES);
  });

  it('lets exactly one of two racing instances claim each target', async () => {
    const claim = (on: Database, nodeId: string) => on.transaction((tx) => claimTarget(tx, 'job_1', nodeId, T + 1, 'i-000000000001'));
    const results = await Promise.all(NODES.flatMap((n) => [claim(db, n), claim(other, n), claim(db, n), claim(other, n)]));
    for (let i = 0; i < NODES.length; i++) assert.equal(results.slice(i * 4, i * 4 + 4).filter(Boolean).length, 1, `target ${i}`);
    assert.ok((await listTargets(db, 'job_1')).every((t) => t.status === 'running' && t.startedAt === T + 1));
  });

  it('names the nodes still to be delivered to', async () => {
    assert.deepEqual(await pendingTargetsOf(db, 'job_1'), NODES);
    await claimTarget(db, 'job_1', 'nd_2', T, 'i-000000000001');
    assert.deepEqual(await pendingTargetsOf(other, 'job_1'), NODES.filter((n) => n !== 'nd_2'));
    assert.deepEqual(await nodesWithPendingJobs(db), NODES.filter((n) => n !== 'nd_2'));
  });
});
