import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { SessionView } from '../../shared/protocol.js';
import { LocalClusterBus } from '../cluster/clusterBus.js';
import { ConsoleEventHub, type ConsoleEvent } from './consoleEventHub.js';

/** Two instances of one deployment, each with its own registry and session manager. */
function twoInstances() {
  const shared = new EventEmitter();
  const held = new Set<string>();
  const nodes = Object.assign(new EventEmitter(), { isOnline: (id: string) => held.has(id) });
  const here = { bus: new LocalClusterBus('i-000000000001', shared), nodes, held, sessions: new EventEmitter() };
  const there = { bus: new LocalClusterBus('i-000000000002', shared) };
  return { here, there, hub: new ConsoleEventHub(here.nodes, here.sessions, here.bus) };
}

const view = { id: 'ses_1', nodeId: 'nd_1', service: 'webui', port: 40001, state: 'open', openedAt: '', expiresAt: '', closedAt: null, closeReason: null } satisfies Omit<SessionView, 'url'>;

describe('ConsoleEventHub', () => {
  it('passes on other instances\' node routes and sessions from the bus, and this one\'s once', async () => {
    const { here, there, hub } = twoInstances();
    const seen: ConsoleEvent[] = [];
    const stop = hub.subscribe((e) => seen.push(e));
    await there.bus.publish('node.route', { nodeId: 'nd_2', instanceId: there.bus.instanceId, online: false, services: [] });
    await there.bus.publish('session', { event: 'session.opened', view, groupId: 'g1' });
    // This instance's own: heard from its registry; the bus copy is skipped.
    here.nodes.emit('online', 'nd_1');
    await here.bus.publish('node.route', { nodeId: 'nd_1', instanceId: here.bus.instanceId, online: true, services: ['webui'] });
    assert.deepEqual(seen, [
      { kind: 'node', online: false, nodeId: 'nd_2', services: [] },
      { kind: 'session', event: 'session.opened', view, groupId: 'g1' },
      { kind: 'node', online: true, nodeId: 'nd_1' },
    ]);
    // The node moved here: the instance it left reports it gone, late; this one still holds it.
    here.held.add('nd_3');
    await there.bus.publish('node.route', { nodeId: 'nd_3', instanceId: there.bus.instanceId, online: false, services: [] });
    assert.equal(seen.length, 3);
    stop();
    await there.bus.publish('node.route', { nodeId: 'nd_2', instanceId: there.bus.instanceId, online: true, services: [] });
    assert.equal(seen.length, 3, 'no stream open: nothing is listened to');
  });
});
