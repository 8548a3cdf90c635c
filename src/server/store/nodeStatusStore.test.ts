import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStatusReport } from '../../shared/protocol.js';
import type { Database } from './database.js';
import { getNode } from './nodeStore.js';
import { insertNodeStatus, listNodeStatus, setNodeSchedule, setProposedMode } from './nodeStatusStore.js';
import { describeEachStore } from './testStores.js';
import { storeWithApprovedNodes } from './approvedNodes.testkit.js';

const report = (uptimeSeconds: number): NodeStatusReport => ({
  uptimeSeconds,
  load: [0, 0, 0],
  memory: { totalBytes: 1, freeBytes: 1 },
  disk: null,
  agentVersion: '0.1.0',
  services: {},
  mode: 'on-demand',
  nextCheckInAt: null,
});

describeEachStore('nodeStatusStore', (store) => {
  let db: Database;
  before(async () => {
    db = await storeWithApprovedNodes(store, ['n1', 'n2']);
  });

  it('keeps only the newest reports per node, newest first, without touching other nodes', async () => {
    for (let i = 1; i <= 5; i++) await insertNodeStatus(db, 'n1', i * 1000, report(i), 3);
    await insertNodeStatus(db, 'n2', 1, report(99), 3);
    const rows = await listNodeStatus(db, 'n1', 10);
    assert.deepEqual(rows.map((r) => [r.at, r.report.uptimeSeconds]), [[5000, 5], [4000, 4], [3000, 3]]);
    assert.equal((await listNodeStatus(db, 'n2', 10)).length, 1);
  });

  it('records the mode, next check-in and proposal on the node', async () => {
    await setNodeSchedule(db, 'n1', 'on-demand', 12345);
    await setProposedMode(db, 'n1', '{"mode":"always-on"}');
    const n = await getNode(db, 'n1');
    assert.equal(n?.mode, 'on-demand');
    assert.equal(n?.nextCheckInAt, 12345);
    assert.equal(n?.proposedMode, '{"mode":"always-on"}');
  });
});
