import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { AlertRuleSpec } from '../../shared/alerts.js';
import type { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { recordAudit } from '../store/auditStore.js';
import type { ApiWorld } from '../testing/apiWorld.js';
import { ReadRendezvous } from '../testing/readRendezvous.js';
import { AlertEngine } from './alertEngine.js';
import { ALERT_TEST_START, buildAlertTestWorld, type AlertTestWorld, type Presence } from './alertEngine.testkit.js';

const MIN = 60_000;
const START = ALERT_TEST_START;

// Issue 23 follow-up: between a leader losing its lock connection and standing down, a
// second leader may already run. Both engines here share one store, and every read of the
// alert state is held until the other engine reads too: the worst interleaving, every time.
describe('two alert leaders at once', () => {
  let kit: AlertTestWorld;
  let world: ApiWorld;
  let clock: FakeClock;
  let nodes: Presence;
  let sessions: EventEmitter;
  let engines: AlertEngine[];
  let rendezvous: ReadRendezvous;

  const addRule = async (spec: AlertRuleSpec, quietMs = 0) => {
    await kit.addRule(spec, quietMs);
  };
  const startEngines = async () => {
    rendezvous = new ReadRendezvous(/FROM alert_(incidents|cursors)/);
    const engine = () =>
      new AlertEngine({ db: rendezvous.party(world.deps.db), clock, log: silentLogger(), nodes, sessions, pollMs: 15_000, startupGraceMs: 0, delivery: kit.delivery });
    engines = [engine(), engine()];
    await Promise.all(engines.map((e) => e.start()));
  };
  const settled = async () => {
    for (let i = 0; i < 3; i++) await Promise.all(engines.map((e) => e.settled()));
  };
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 15_000) {
      clock.advance(Math.min(15_000, ms - t));
      await settled();
    }
  };
  const events = () => kit.events();

  beforeEach(async () => {
    kit = await buildAlertTestWorld();
    ({ world, clock, nodes, sessions } = kit);
    engines = [];
  });
  afterEach(async () => {
    rendezvous.release();
    await Promise.all(engines.map((e) => e.close()));
    await world.close();
  });

  it('open an offline incident once and resolve it once: one alert, one recovery', async () => {
    await addRule({ kind: 'node.offline', afterSeconds: 300 });
    await addRule({ kind: 'node.online' });
    await startEngines();
    nodes.up('nodeA');
    nodes.down('nodeA');
    await advance(6 * MIN);
    assert.deepEqual(events(), ['node.offline:nodeA'], 'one offline alert, not one per leader');
    nodes.up('nodeA');
    await settled();
    assert.deepEqual(events(), ['node.offline:nodeA', 'node.online:nodeA'], 'one recovery');
  });

  it('read each failed job once: one alert, even with no quiet period', async () => {
    await addRule({ kind: 'job.failed' });
    await startEngines();
    await recordAudit(world.deps.db, { actor: 'nodeA', action: 'job.run', target: 'jobA', result: 'failed', groupId: 'siteA', detail: { node: 'nodeA', exitCode: 3 } }, clock.now());
    await advance(15_000);
    assert.deepEqual(events(), ['job.failed:nodeA']);
  });

  it('announce a session both of them hear of once', async () => {
    await addRule({ kind: 'session.opened' });
    await startEngines();
    sessions.emit('opened', { id: 'ses1', nodeId: 'nodeA', service: 'webui', port: 41000, url: 'https://x/', state: 'open', openedAt: new Date(START).toISOString(), expiresAt: '', closedAt: null, closeReason: null }, 'siteA');
    await settled();
    assert.deepEqual(events(), ['session.opened:nodeA']);
  });
});
