import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { insertGroup } from './groupStore.js';
import { insertNode } from './nodeStore.js';
import { insertNodeStatus } from './nodeStatusStore.js';
import { appendAudit } from './auditStore.js';
import { deleteAlertChannel, deleteAlertRule, getAlertChannel, getAlertRule, insertAlertChannel, insertAlertRule, listAlertChannels, listAlertRules } from './alertStore.js';
import { advanceAlertCursor, alertAuditSince, alertStatusSince, alertTailHeads, countDeniedSignIns, getAlertCursor, getIncident, openIncident, openIncidents, placeAlertCursor } from './alertStateStore.js';
import { failPendingDeliveries, insertAlertDelivery, listAlertDeliveries, updateAlertDelivery } from './alertDeliveryStore.js';
import { AlertIncidents } from '../alerts/alertIncidents.js';
import { ReadRendezvous } from '../testing/readRendezvous.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
/** A time past 2^31 ms, so a 32-bit column would overflow. */
const T = 1_700_000_000_000;

// The alert stores' SQL on each engine: rules, channels, incident state, cursors, the delivery log.
describeEachStore('alert stores', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    await insertGroup(db, { id: 'g1', name: 'customer', parentId: 'root' }, T);
    await insertNode(db, { id: 'nd_1', name: 'gw', groupId: 'g1', publicKey: 'key-1', status: 'approved', services: ['webui'], agentVersion: '1.0', createdAt: T, enrolledBy: null });
  });

  it('keeps rules and channels, and refuses a second name in a group', async () => {
    await insertAlertChannel(db, { id: 'alc_1', groupId: 'g1', name: 'hook', kind: 'webhook', config: { url: 'https://example.com/' }, secretSealed: 'sealed', createdBy: null, createdAt: T });
    await insertAlertRule(db, { id: 'alr_1', groupId: 'g1', name: 'offline', spec: { kind: 'node.offline', afterSeconds: 300 }, channelIds: ['alc_1'], quietMs: 3_600_000, createdBy: null, createdAt: T });
    assert.deepEqual((await getAlertRule(db, 'alr_1'))?.spec, { kind: 'node.offline', afterSeconds: 300 });
    assert.equal((await getAlertRule(db, 'alr_1'))?.quietMs, 3_600_000);
    assert.equal((await getAlertChannel(db, 'alc_1'))?.secretSealed, 'sealed');
    await assert.rejects(insertAlertRule(db, { id: 'alr_2', groupId: 'g1', name: 'offline', spec: { kind: 'job.failed' }, channelIds: ['alc_1'], quietMs: 0, createdBy: null, createdAt: T }), /UNIQUE|unique/);
    assert.equal(await openIncident(db, 'alr_1', 'nd_1', 0, T), 'send');
    assert.deepEqual(await openIncidents(db, ['alr_1', 'alr_other']), [{ ruleId: 'alr_1', subject: 'nd_1' }]);
    await deleteAlertRule(db, 'alr_1');
    await deleteAlertChannel(db, 'alc_1');
    assert.deepEqual([...(await listAlertRules(db)), ...(await listAlertChannels(db))], []);
    assert.equal(await getIncident(db, 'alr_1', 'nd_1'), undefined, 'a removed rule leaves no incident state');
  });

  it('deduplicates incidents and holds the quiet period', async () => {
    const inc = new AlertIncidents(db);
    assert.equal(await inc.open('r', 'n', 1000, T), 'send');
    assert.equal(await inc.open('r', 'n', 1000, T + 1), 'already-open');
    assert.equal(await inc.resolve('r', 'n'), true);
    assert.equal(await inc.open('r', 'n', 1000, T + 500), 'quiet');
    assert.equal(await inc.resolve('r', 'n'), false, 'a quiet incident ends quietly');
    assert.equal(await inc.open('r', 'n', 1000, T + 1000), 'send');
    assert.equal(await inc.pulse('p', 'n', 1000, T), true);
    assert.equal(await inc.pulse('p', 'n', 1000, T + 999), false);
    assert.equal(await inc.pulse('p', 'n', 1000, T + 1000), true);
  });

  // Two instances that both believe they lead (one lost its lock and does not know yet):
  // whatever their reads saw, one conditional write decides, so only one of them sends.
  it('lets only one of two writers open, resolve or pulse a key, however their reads interleave', async () => {
    const rendezvous = new ReadRendezvous(/FROM alert_incidents/);
    const a = new AlertIncidents(rendezvous.party(db));
    const b = new AlertIncidents(rendezvous.party(await store.another(db)));
    try {
      assert.deepEqual((await Promise.all([a.open('r', 'n', 0, T), b.open('r', 'n', 0, T)])).sort(), ['already-open', 'send']);
      assert.deepEqual((await Promise.all([a.resolve('r', 'n'), b.resolve('r', 'n')])).sort(), [false, true]);
      assert.deepEqual((await Promise.all([a.open('r', 'n', 0, T + 1), b.open('r', 'n', 0, T + 1)])).sort(), ['already-open', 'send'], 'a second incident of the key');
      assert.deepEqual((await Promise.all([a.pulse('p', 'n', 0, T), b.pulse('p', 'n', 0, T)])).sort(), [false, true]);
    } finally {
      rendezvous.release();
    }
  });

  it('reads the audit log and status history from a cursor', async () => {
    await appendAudit(db, { actor: 'system', action: 'server.start', result: 'ok' }, T);
    const heads = await alertTailHeads(db);
    await appendAudit(db, { actor: 'nd_1', action: 'job.run', target: 'job_1', result: 'failed', groupId: 'g1', detail: { exitCode: 2 } }, T + 1);
    await appendAudit(db, { actor: 'nd_1', action: 'job.run', target: 'job_2', result: 'ok', groupId: 'g1' }, T + 2);
    await appendAudit(db, { actor: 'anonymous', action: 'auth.login', target: 'x@example.com', result: 'denied' }, T + 3);
    const rows = await alertAuditSince(db, heads.audit, 10);
    assert.deepEqual(rows.map((r) => `${r.action}:${r.target}`), ['job.run:job_1', 'auth.login:x@example.com']);
    assert.equal(rows[0]?.detail.exitCode, 2);
    assert.equal(await countDeniedSignIns(db, T), 1);
    await insertNodeStatus(db, 'nd_1', T, { uptimeSeconds: 1, load: [0], memory: { totalBytes: 1, freeBytes: 1 }, disk: null, agentVersion: '1', services: {}, mode: 'always-on', nextCheckInAt: null }, 5);
    const status = await alertStatusSince(db, heads.status, 10);
    assert.equal(status.length, 1);
    assert.equal(status[0]?.nodeId, 'nd_1');
    assert.equal(await getAlertCursor(db, 'audit'), undefined);
    await placeAlertCursor(db, 'audit', 5);
    await placeAlertCursor(db, 'audit', 3);
    assert.equal(await getAlertCursor(db, 'audit'), 5, 'a second leader starting does not move a placed cursor');
    assert.equal(await advanceAlertCursor(db, 'audit', 5, 7), true);
    assert.equal(await getAlertCursor(db, 'audit'), 7);
  });

  it('lets one of two readers claim the rows after a cursor, and never moves it back', async () => {
    const other = await store.another(db);
    await placeAlertCursor(db, 'status', 5);
    assert.deepEqual((await Promise.all([advanceAlertCursor(db, 'status', 5, 9), advanceAlertCursor(other, 'status', 5, 9)])).sort(), [false, true]);
    assert.equal(await advanceAlertCursor(other, 'status', 5, 12), false, 'a reader that started at 5 lost the rows it read');
    assert.equal(await advanceAlertCursor(db, 'status', 9, 7), false, 'never back');
    assert.equal(await advanceAlertCursor(db, 'status', 9, 9), true, 'rows of the cursor\'s own position are read again (the condition cursor)');
    assert.equal(await getAlertCursor(other, 'status'), 9);
  });

  it('logs deliveries and fails those a stopped server left pending', async () => {
    const base = { groupId: 'g1', channelId: 'alc_1', ruleId: null, event: 'test', subject: null, summary: 's', status: 'pending' as const, attempts: 0, lastError: null, createdAt: T, updatedAt: T };
    await insertAlertDelivery(db, { ...base, id: 'dlv_1' });
    await insertAlertDelivery(db, { ...base, id: 'dlv_2', createdAt: T + 1 });
    await updateAlertDelivery(db, 'dlv_1', { status: 'delivered', attempts: 2, lastError: null }, T + 5);
    assert.equal(await failPendingDeliveries(db, T + 10), 1);
    const rows = await listAlertDeliveries(db, ['g1'], 10);
    assert.deepEqual(rows.map((r) => `${r.id}:${r.status}:${r.attempts}`), ['dlv_2:failed:0', 'dlv_1:delivered:2']);
    assert.deepEqual(await listAlertDeliveries(db, ['root'], 10), []);
  });
});
