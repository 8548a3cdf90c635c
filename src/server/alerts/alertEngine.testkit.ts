import { EventEmitter } from 'node:events';
import type { AlertMessage, AlertRuleSpec } from '../../shared/alerts.js';
import { FakeClock } from '../../shared/clock.js';
import { deleteAlertRule, insertAlertChannel, insertAlertRule } from '../store/alertStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import type { AlertEngineDeps, NodePresence } from './alertEngine.js';

/** When the engine tests' clocks start. */
export const ALERT_TEST_START = Date.UTC(2026, 0, 1);

/** The registry as an engine sees it (every instance's nodes), driven by hand. */
export class Presence extends EventEmitter implements NodePresence {
  readonly online = new Set<string>();
  up(id: string): void {
    this.online.add(id);
    this.emit('online', id);
  }
  down(id: string): void {
    this.online.delete(id);
    this.emit('offline', id);
  }
  isOnline(id: string): boolean {
    return this.online.has(id);
  }
}

/** A store with one webhook channel (chA, of custA) and no rules, and what engines on it send. */
export interface AlertTestWorld {
  world: ApiWorld;
  clock: FakeClock;
  nodes: Presence;
  sessions: EventEmitter;
  /** Every alert handed to the delivery, in order. */
  sent: AlertMessage[];
  /** A delivery that records into `sent` and always succeeds. */
  delivery: AlertEngineDeps['delivery'];
  /** Adds a rule sending to chA; returns its id. */
  addRule(spec: AlertRuleSpec, quietMs?: number, groupId?: string): Promise<string>;
  /** What was sent, as `event:node` lines. */
  events(): string[];
}

/** Builds an AlertTestWorld on a FakeClock at ALERT_TEST_START. */
export async function buildAlertTestWorld(): Promise<AlertTestWorld> {
  const clock = new FakeClock(ALERT_TEST_START);
  const world = await buildApiWorld({ clock });
  const sent: AlertMessage[] = [];
  // The world's own rule would answer too; each test sets the rules it is about.
  await deleteAlertRule(world.deps.db, 'alrA');
  await insertAlertChannel(world.deps.db, { id: 'chA', groupId: 'custA', name: 'hook', kind: 'webhook', config: { url: 'https://example.com/' }, secretSealed: null, createdBy: null, createdAt: ALERT_TEST_START });
  let n = 0;
  return {
    world,
    clock,
    nodes: new Presence(),
    sessions: new EventEmitter(),
    sent,
    delivery: {
      deliver: async (_c, m) => {
        sent.push(m);
        return { deliveryId: 'x', status: 'delivered', error: null };
      },
    },
    async addRule(spec, quietMs = 0, groupId = 'custA') {
      const id = `rule${++n}`;
      await insertAlertRule(world.deps.db, { id, groupId, name: id, spec, channelIds: ['chA'], quietMs, createdBy: null, createdAt: clock.now() });
      return id;
    },
    events: () => sent.map((m) => `${m.event}:${m.node?.id ?? '-'}`),
  };
}
