import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AlertMessage, AlertRuleSpec } from '../../shared/alerts.js';
import { FakeClock } from '../../shared/clock.js';
import type { ConditionState } from '../../shared/conditions.js';
import { silentLogger } from '../../shared/log.js';
import { deleteAlertRule, insertAlertChannel, insertAlertRule } from '../store/alertStore.js';
import { getAlertCursor, getIncident } from '../store/alertStateStore.js';
import { listConditionStates, recordConditionStates } from '../store/conditionStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { AlertEngine } from './alertEngine.js';
import { CONDITION_CURSOR } from './conditionAlerts.js';

const START = Date.UTC(2026, 0, 1);
const state = (name: string, s: ConditionState['state'], since: number, origin: ConditionState['origin'] = 'operator'): ConditionState => ({ name, origin, kind: 'log', state: s, value: 3, since: new Date(since).toISOString(), detail: '3 matching line(s) in the last 300 s (fires at 3)' });

/** The registry as the engine sees it: nobody comes or goes in these tests. */
class Presence extends EventEmitter {
  isOnline(): boolean {
    return true;
  }
}

describe('condition.firing alerts', () => {
  let world: ApiWorld;
  let clock: FakeClock;
  let sent: AlertMessage[];
  let engine: AlertEngine;
  let n = 0;

  const addRule = async (spec: AlertRuleSpec, groupId = 'custA') => {
    const id = `rule${++n}`;
    await insertAlertRule(world.deps.db, { id, groupId, name: id, spec, channelIds: ['chA'], quietMs: 0, createdBy: null, createdAt: clock.now() });
    return id;
  };
  const report = async (nodeId: string, states: ConditionState[]) => {
    await recordConditionStates(world.deps.db, nodeId, states, clock.now(), 100);
    clock.advance(15_000);
    await engine.settled();
    await engine.settled();
  };

  beforeEach(async () => {
    clock = new FakeClock(START);
    world = await buildApiWorld({ clock });
    sent = [];
    await deleteAlertRule(world.deps.db, 'alrA');
    await insertAlertChannel(world.deps.db, { id: 'chA', groupId: 'custA', name: 'hook', kind: 'webhook', config: { url: 'https://example.com/' }, secretSealed: null, createdBy: null, createdAt: START });
    engine = new AlertEngine({ db: world.deps.db, clock, log: silentLogger(), nodes: new Presence(), sessions: new EventEmitter(), pollMs: 15_000, startupGraceMs: 0, delivery: { deliver: async (_c, m) => { sent.push(m); return { deliveryId: 'x', status: 'delivered', error: null }; } } });
  });
  afterEach(async () => {
    await engine.close();
    await world.close();
  });

  it('sends once when a condition begins firing, again only after it was ok, and only for the named condition', async () => {
    await addRule({ kind: 'condition.firing' });
    await addRule({ kind: 'condition.firing', condition: 'fan' });
    await engine.start();
    await report('nodeA', [state('errors', 'firing', START)]);
    assert.deepEqual(sent.map((m) => [m.event, m.node?.id, m.detail.condition]), [['condition.firing', 'nodeA', 'errors']], 'the rule naming "fan" stays silent');
    assert.equal(sent[0]?.summary, 'Condition errors is firing on nodeA: 3 matching line(s) in the last 300 s (fires at 3)');
    await report('nodeA', [{ ...state('errors', 'firing', START), value: 9 }]);
    assert.equal(sent.length, 1, 'still firing: no new alert');
    await report('nodeA', [state('errors', 'ok', clock.now())]);
    await report('nodeA', [state('errors', 'firing', clock.now()), state('fan', 'firing', clock.now())]);
    assert.deepEqual(sent.slice(1).map((m) => m.detail.condition).sort(), ['errors', 'fan', 'fan'], 'a new incident, and the named rule for its condition');
  });

  it("keeps to the rule's group", async () => {
    await addRule({ kind: 'condition.firing' });
    await engine.start();
    await report('nodeB', [state('errors', 'firing', START)]);
    assert.deepEqual(sent, [], 'nodeB is in custB, the rule in custA');
  });

  it('closes the incident of a rule the node no longer reports (removed in node.json), so its return alerts again', async () => {
    const rule = await addRule({ kind: 'condition.firing' });
    await engine.start();
    await report('nodeA', [state('errors', 'firing', START)]);
    assert.equal(sent.length, 1);
    await report('nodeA', []);
    assert.deepEqual(await listConditionStates(world.deps.db, 'nodeA'), [], 'its state is gone');
    assert.equal((await getIncident(world.deps.db, rule, 'nodeA|operator:errors'))?.open, false, 'and its incident is closed');
    await report('nodeA', [state('errors', 'firing', clock.now())]);
    assert.equal(sent.length, 2, 'the rule added back and firing is a new incident');
  });

  it('closes the incident of an administrator\'s rule removed while firing, and keeps the others', async () => {
    const rule = await addRule({ kind: 'condition.firing' });
    await engine.start();
    await report('nodeA', [state('fatal', 'firing', START, 'admin'), state('errors', 'firing', START)]);
    assert.equal(sent.length, 2);
    await report('nodeA', [state('errors', 'firing', START)]);
    assert.equal((await getIncident(world.deps.db, rule, 'nodeA|admin:fatal'))?.open, false);
    assert.equal((await getIncident(world.deps.db, rule, 'nodeA|operator:errors'))?.open, true, 'a rule still reported stays open');
    assert.equal(sent.length, 2);
  });
  it('alerts on a state stamped before the cursor by an instance whose clock is behind', async () => {
    await addRule({ kind: 'condition.firing' }, 'root');
    await engine.start();
    // Just before a poll, an instance whose clock is 2 s ahead stores nodeB's state; the poll
    // reads it and moves the cursor to that stamp. The instance holding nodeA then stores a
    // firing state stamped with its own (right) clock: later, yet before the cursor.
    clock.advance(14_500);
    await recordConditionStates(world.deps.db, 'nodeB', [state('disk', 'ok', START)], clock.now() + 2_000, 100);
    clock.advance(1_000);
    await engine.settled();
    await engine.settled();
    assert.equal(sent.length, 0);
    assert.equal(await getAlertCursor(world.deps.db, CONDITION_CURSOR), START + 16_500, "the cursor is at nodeB's stamp");
    await report('nodeA', [state('errors', 'firing', START)]);
    assert.deepEqual(sent.map((m) => [m.event, m.node?.id, m.detail.condition]), [['condition.firing', 'nodeA', 'errors']]);
    await report('nodeA', [{ ...state('errors', 'firing', START), value: 9 }]);
    assert.equal(sent.length, 1, 'read again, it is the same incident: no second alert');
  });
});
