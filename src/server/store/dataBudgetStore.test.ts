import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore } from './testStores.js';
import { addNodeTraffic, claimBudgetNotice, deleteNodeBudget, getNodeBudget, getNodeTraffic, listNodeBudgets, listNodeTraffic, putNodeBudget, setBudgetOverride } from './dataBudgetStore.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
/** A time past 2^31 ms, and byte counts past 2^32, so a 32-bit column would overflow. */
const T = 1_700_000_000_000;
const G5 = 5 * 1024 ** 3;

// The data budget store's SQL on each engine: increments from several writers, budgets, overrides, notices.
describeEachStore('data budget store', (store) => {
  let db: Database;
  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
  });

  it('adds increments per node and month, from several connections', async () => {
    const other = await store.another(db);
    await addNodeTraffic(db, 'nd_1', '2026-11', 100, 10);
    await addNodeTraffic(other, 'nd_1', '2026-11', G5, 20);
    await addNodeTraffic(db, 'nd_1', '2026-12', 7, 0);
    await addNodeTraffic(db, 'nd_2', '2026-11', 1, 1);
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-11'), { bytesIn: G5 + 100, bytesOut: 30 });
    assert.deepEqual(await getNodeTraffic(db, 'nd_1', '2026-12'), { bytesIn: 7, bytesOut: 0 });
    assert.deepEqual(await getNodeTraffic(db, 'nd_3', '2026-11'), { bytesIn: 0, bytesOut: 0 });
    const month = await listNodeTraffic(db, '2026-11');
    assert.deepEqual([...month.keys()].sort(), ['nd_1', 'nd_2']);
  });

  it('sets, overrides and removes a budget', async () => {
    assert.equal(await getNodeBudget(db, 'nd_1'), undefined);
    assert.equal(await setBudgetOverride(db, 'nd_1', T + 1, T), false);
    await putNodeBudget(db, { nodeId: 'nd_1', monthlyBytes: G5, over: 'throttle', rateBytes: 65_536 }, T);
    assert.equal(await setBudgetOverride(db, 'nd_1', T + 5_000, T), true);
    const b = await getNodeBudget(db, 'nd_1');
    assert.deepEqual(b, { nodeId: 'nd_1', monthlyBytes: G5, over: 'throttle', rateBytes: 65_536, overrideUntil: T + 5_000, warnedMonth: null, exceededMonth: null, updatedAt: T });
    // Changing the budget keeps the override.
    await putNodeBudget(db, { nodeId: 'nd_1', monthlyBytes: 1_000, over: 'refuse', rateBytes: 2_048 }, T + 1);
    assert.equal((await getNodeBudget(db, 'nd_1'))?.overrideUntil, T + 5_000);
    assert.equal((await listNodeBudgets(db)).get('nd_1')?.monthlyBytes, 1_000);
    await setBudgetOverride(db, 'nd_1', null, T + 2);
    assert.equal((await getNodeBudget(db, 'nd_1'))?.overrideUntil, null);
    assert.equal(await deleteNodeBudget(db, 'nd_1'), true);
    assert.equal(await deleteNodeBudget(db, 'nd_1'), false);
  });

  it('lets one writer claim each notice once a month, and again after the budget changes', async () => {
    const other = await store.another(db);
    await putNodeBudget(db, { nodeId: 'nd_1', monthlyBytes: 1_000, over: 'refuse', rateBytes: 2_048 }, T);
    const claims = await Promise.all([claimBudgetNotice(db, 'nd_1', 'warned', '2026-11'), claimBudgetNotice(other, 'nd_1', 'warned', '2026-11')]);
    assert.deepEqual(claims.filter(Boolean).length, 1);
    assert.equal(await claimBudgetNotice(db, 'nd_1', 'exceeded', '2026-11'), true);
    assert.equal(await claimBudgetNotice(db, 'nd_1', 'exceeded', '2026-11'), false);
    assert.equal(await claimBudgetNotice(db, 'nd_1', 'warned', '2026-12'), true);
    await putNodeBudget(db, { nodeId: 'nd_1', monthlyBytes: 2_000, over: 'refuse', rateBytes: 2_048 }, T);
    assert.equal(await claimBudgetNotice(db, 'nd_1', 'exceeded', '2026-11'), true);
    assert.equal(await claimBudgetNotice(db, 'nd_2', 'warned', '2026-11'), false);
  });
});
