import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { logConditionSchema, type ConditionState } from '../../shared/conditions.js';
import type { Database } from './database.js';
import { conditionStatesReportedSince, deleteNodeConditionRule, listConditionHistory, listConditionStates, listNodeConditionRules, putNodeConditionRule, recordConditionStates } from './conditionStore.js';
import { describeEachStore } from './testStores.js';
import { storeWithApprovedNodes } from './approvedNodes.testkit.js';

const state = (name: string, s: ConditionState['state'], since: number, value: number | null = 1.5): ConditionState => ({ name, origin: 'operator', kind: 'log', state: s, value, since: new Date(since).toISOString(), detail: `${name} ${s}` });

describeEachStore('conditionStore', (store) => {
  let db: Database;
  before(async () => {
    db = await storeWithApprovedNodes(store, ['n1', 'n2']);
  });

  it("adds, replaces and removes an administrator's rules per node", async () => {
    const rule = logConditionSchema.parse({ kind: 'log', name: 'errors', path: '/var/log/app.log', pattern: 'ERROR' });
    await putNodeConditionRule(db, 'n1', rule, 'u1', 10);
    await putNodeConditionRule(db, 'n1', { ...rule, pattern: 'FATAL' }, 'u2', 20);
    const rules = await listNodeConditionRules(db, 'n1');
    assert.deepEqual(rules, [{ rule: { ...rule, pattern: 'FATAL' }, createdBy: 'u2', createdAt: 20 }]);
    assert.deepEqual(await listNodeConditionRules(db, 'n2'), []);
    assert.equal(await deleteNodeConditionRule(db, 'n1', 'errors'), true);
    assert.equal(await deleteNodeConditionRule(db, 'n1', 'errors'), false);
  });

  it('keeps the current states and a bounded history of their changes', async () => {
    assert.equal(await recordConditionStates(db, 'n1', [state('a', 'ok', 100), state('b', 'ok', 100, null)], 1_000, 3), 2, 'new rules are changes');
    assert.equal(await recordConditionStates(db, 'n1', [state('a', 'ok', 100), state('b', 'ok', 100, null)], 2_000, 3), 0, 'the same states again are not');
    assert.equal(await recordConditionStates(db, 'n1', [state('a', 'firing', 1_500, 7)], 3_000, 3), 1);
    const states = await listConditionStates(db, 'n1');
    assert.deepEqual(states.map((s) => [s.name, s.state, s.value, s.reportedAt]), [['a', 'firing', 7, 3_000]], 'a rule no longer reported is gone');
    await recordConditionStates(db, 'n1', [state('a', 'ok', 4_000)], 4_000, 3);
    await recordConditionStates(db, 'n2', [state('z', 'firing', 4_000)], 4_000, 3);
    const history = await listConditionHistory(db, 'n1', 10);
    assert.deepEqual(history.map((h) => [h.state, h.at]), [['ok', 4_000], ['firing', 3_000], ['ok', 1_000]], 'newest first, trimmed to 3');
    assert.deepEqual(history.slice(0, 2).map((h) => h.name), ['a', 'a']);
    const recent = await conditionStatesReportedSince(db, 4_000, 10);
    assert.deepEqual(recent.map((s) => [s.nodeId, s.name]).sort(), [['n1', 'a'], ['n2', 'z']]);
  });
});
