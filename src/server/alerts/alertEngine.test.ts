import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { AlertMessage, AlertRuleSpec } from '../../shared/alerts.js';
import type { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import type { NodeStatusReport } from '../../shared/protocol.js';
import { recordAudit } from '../store/auditStore.js';
import { insertAlertChannel, insertAlertRule } from '../store/alertStore.js';
import { markNodeSeen } from '../store/nodeStore.js';
import { insertNodeStatus, setNodeSchedule } from '../store/nodeStatusStore.js';
import type { ApiWorld } from '../testing/apiWorld.js';
import { AlertEngine } from './alertEngine.js';
import { ALERT_TEST_START, buildAlertTestWorld, type AlertTestWorld, type Presence } from './alertEngine.testkit.js';

const MIN = 60_000;
const START = ALERT_TEST_START;

describe('AlertEngine', () => {
  let kit: AlertTestWorld;
  let world: ApiWorld;
  let clock: FakeClock;
  let nodes: Presence;
  let sessions: EventEmitter;
  let sent: AlertMessage[];
  let engine: AlertEngine;

  const addRule = (spec: AlertRuleSpec, quietMs = 0, groupId = 'custA') => kit.addRule(spec, quietMs, groupId);
  const startEngine = async () => {
    engine = new AlertEngine({ db: world.deps.db, clock, log: silentLogger(), nodes, sessions, pollMs: 15_000, startupGraceMs: 30_000, delivery: kit.delivery });
    await engine.start();
  };
  const advance = async (ms: number) => {
    // Step 15 s at a time so each timer's work is done before the next fires.
    for (let step = 0; step < ms; step += 15_000) {
      clock.advance(Math.min(15_000, ms - step));
      await engine.settled();
      await engine.settled();
    }
  };
  const events = () => kit.events();

  beforeEach(async () => {
    kit = await buildAlertTestWorld();
    ({ world, clock, nodes, sessions, sent } = kit);
  });
  afterEach(async () => {
    await engine.close();
    await world.close();
  });

  it('sends one offline alert after N minutes, nothing for shorter drops, one recovery', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 300 });
    await addRule({ kind: 'node.online' });
    await startEngine();
    nodes.up('nodeA');
    nodes.down('nodeA');
    await advance(4 * MIN);
    nodes.up('nodeA');
    await advance(10 * MIN);
    assert.deepEqual(events(), [], 'a drop shorter than N sends nothing, and no recovery follows it');
    nodes.down('nodeA');
    await advance(6 * MIN);
    assert.deepEqual(events(), ['node.offline:nodeA']);
    await advance(30 * MIN);
    assert.deepEqual(events(), ['node.offline:nodeA'], 'once per incident, however long it lasts');
    nodes.up('nodeA');
    await engine.settled();
    assert.deepEqual(events(), ['node.offline:nodeA', 'node.online:nodeA']);
    nodes.down('nodeA');
    nodes.up('nodeA');
    await engine.settled();
    assert.deepEqual(events(), ['node.offline:nodeA', 'node.online:nodeA'], 'a recovery is sent once per announced incident');
  });

  it('a flapping node sends nothing more within the quiet period, and again after it', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 60 }, 60 * MIN);
    await addRule({ kind: 'node.online' });
    await startEngine();
    nodes.up('nodeA');
    for (let i = 0; i < 5; i++) {
      nodes.down('nodeA');
      await advance(2 * MIN);
      nodes.up('nodeA');
      await advance(MIN);
    }
    assert.deepEqual(events(), ['node.offline:nodeA', 'node.online:nodeA'], 'five long drops within an hour: one alert, one recovery');
    await advance(60 * MIN);
    nodes.down('nodeA');
    await advance(2 * MIN);
    assert.deepEqual(events().slice(2), ['node.offline:nodeA'], 'after the quiet period the next outage is announced');
  });

  it('an on-demand node is late only after the check-in it announced', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 300 });
    await startEngine();
    nodes.up('nodeA');
    await setNodeSchedule(world.deps.db, 'nodeA', 'on-demand', START + 60 * MIN);
    nodes.down('nodeA');
    await advance(60 * MIN);
    assert.deepEqual(events(), [], 'away between its windows, as planned');
    await advance(6 * MIN);
    assert.deepEqual(events(), ['node.offline:nodeA']);
  });

  it('rules apply to their group\'s subtree only', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 60 });
    await startEngine();
    nodes.up('nodeB');
    nodes.down('nodeB');
    await advance(5 * MIN);
    assert.deepEqual(events(), [], 'nodeB is in custB, the rule in custA');
  });

  it('after a restart, a node offline since before it still alerts, from its last sighting, and only once', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 600 });
    await markNodeSeen(world.deps.db, 'nodeA', START - 8 * MIN, ['webui']);
    await startEngine();
    await advance(MIN + 30_000);
    assert.deepEqual(events(), [], 'not before last seen + 10 min');
    await advance(MIN);
    assert.deepEqual(events(), ['node.offline:nodeA']);
    await engine.close();
    await startEngine();
    await advance(20 * MIN);
    assert.deepEqual(events(), ['node.offline:nodeA'], 'a second run does not repeat an open incident');
  });

  it('after a long downtime, offline alerts wait out the startup grace so nodes can reconnect', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 60 });
    await markNodeSeen(world.deps.db, 'nodeA', START - 60 * MIN, ['webui']);
    await startEngine();
    await advance(20_000);
    nodes.up('nodeA');
    await advance(5 * MIN);
    assert.deepEqual(events(), []);
  });

  it('job failures alert once per node within the quiet period', async () => {
    await addRule({ kind: 'job.failed' }, 10 * MIN);
    await startEngine();
    for (let i = 0; i < 3; i++) await recordAudit(world.deps.db, { actor: 'nodeA', action: 'job.run', target: 'jobA', result: 'failed', groupId: 'siteA', detail: { node: 'nodeA', exitCode: 3 } }, clock.now());
    await recordAudit(world.deps.db, { actor: 'nodeA', action: 'job.run', target: 'jobA', result: 'ok', groupId: 'siteA', detail: { node: 'nodeA', exitCode: 0 } }, clock.now());
    await advance(15_000);
    assert.deepEqual(events(), ['job.failed:nodeA']);
    assert.match(sent[0]?.summary ?? '', /exit code 3/);
    await advance(11 * MIN);
    await recordAudit(world.deps.db, { actor: 'nodeA', action: 'job.run', target: 'jobA', result: 'failed', groupId: 'siteA', detail: { node: 'nodeA', exitCode: 1 } }, clock.now());
    await advance(15_000);
    assert.equal(sent.length, 2);
  });

  it('data budget notices (written once a month by the counter) fire their own kind of rule', async () => {
    await addRule({ kind: 'budget.warning' });
    await addRule({ kind: 'budget.exceeded' });
    await startEngine();
    const notice = (action: string, month: string, percent: number) =>
      recordAudit(world.deps.db, { actor: 'system', action, target: 'nodeA', objectType: 'node', result: 'ok', groupId: 'siteA', detail: { month, usedBytes: percent * 1024, monthlyBytes: 100 * 1024, percent } }, clock.now());
    await notice('node.budget.warning', '2026-01', 80);
    await advance(15_000);
    assert.deepEqual(events(), ['budget.warning:nodeA']);
    assert.match(sent[0]?.summary ?? '', /80 % of its data budget for 2026-01: 80 KiB of 100 KiB/);
    await notice('node.budget.exceeded', '2026-01', 100);
    await advance(15_000);
    assert.deepEqual(events(), ['budget.warning:nodeA', 'budget.exceeded:nodeA']);
    await notice('node.budget.warning', '2026-02', 85);
    await advance(15_000);
    assert.deepEqual(events(), ['budget.warning:nodeA', 'budget.exceeded:nodeA', 'budget.warning:nodeA']);
  });

  it('alerts when more than N sign-ins fail within the window', async () => {
    await insertAlertChannel(world.deps.db, { id: 'chRoot', groupId: 'root', name: 'ops', kind: 'webhook', config: { url: 'https://example.com/' }, secretSealed: null, createdBy: null, createdAt: START });
    await insertAlertRule(world.deps.db, { id: 'signins', groupId: 'root', name: 'signins', spec: { kind: 'signin.failed', count: 3, windowSeconds: 300 }, channelIds: ['chRoot'], quietMs: 30 * MIN, createdBy: null, createdAt: START });
    await startEngine();
    const fail = () => recordAudit(world.deps.db, { actor: 'anonymous', sourceIp: '203.0.113.9', action: 'auth.login', target: 'x@example.com', result: 'denied', detail: { reason: 'password' } }, clock.now());
    for (let i = 0; i < 3; i++) await fail();
    await advance(15_000);
    assert.deepEqual(events(), [], 'three is not more than three');
    await fail();
    await advance(15_000);
    assert.deepEqual(events(), ['signin.failed:-']);
    for (let i = 0; i < 10; i++) await fail();
    await advance(15_000);
    assert.equal(sent.length, 1, 'the quiet period holds');
  });

  it('health thresholds open on a bad report and close on a good one', async () => {
    await addRule({ kind: 'health.disk', percent: 90 });
    await addRule({ kind: 'health.service', service: 'webui' });
    await startEngine();
    const report = (freeBytes: number, reachable: boolean): NodeStatusReport => ({ uptimeSeconds: 1, load: [0.1], memory: { totalBytes: 100, freeBytes: 50 }, disk: { path: '/', totalBytes: 100, freeBytes }, agentVersion: '1', services: { webui: { reachable } }, mode: 'always-on', nextCheckInAt: null });
    const put = async (r: NodeStatusReport) => {
      await insertNodeStatus(world.deps.db, 'nodeA', clock.now(), r, 10);
      await advance(15_000);
    };
    await put(report(50, true));
    await put(report(5, false));
    await put(report(4, false));
    assert.deepEqual(sent.map((m) => m.event).sort(), ['health.disk', 'health.service']);
    await put(report(50, true));
    await put(report(5, true));
    assert.equal(sent.length, 3, 'a new incident after the old one closed');
  });

  it('sessions opened in the group alert, without the session URL', async () => {
    await addRule({ kind: 'session.opened' });
    await startEngine();
    sessions.emit('opened', { id: 'ses1', nodeId: 'nodeA', service: 'webui', port: 41000, url: 'https://x/?token=SECRET', state: 'open', openedAt: '', expiresAt: '', closedAt: null, closeReason: null, user: 'a@example.com' }, 'siteA');
    sessions.emit('opened', { id: 'ses2', nodeId: 'nodeB', service: 'webui', port: 41001, url: 'https://x/?token=SECRET', state: 'open', openedAt: '', expiresAt: '', closedAt: null, closeReason: null }, 'custB');
    await engine.settled();
    assert.deepEqual(events(), ['session.opened:nodeA']);
    assert.doesNotMatch(JSON.stringify(sent), /SECRET/);
  });
});
