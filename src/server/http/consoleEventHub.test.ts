import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { SessionView } from '../../shared/protocol.js';
import { LocalClusterBus } from '../cluster/clusterBus.js';
import { ConsoleEventHub, type ConsoleEvent } from './consoleEventHub.js';

/** Two instances of one deployment: this one's node directory and session manager, and the bus. */
function twoInstances() {
  const shared = new EventEmitter();
  const nodes = new EventEmitter();
  const here = { bus: new LocalClusterBus('i-000000000001', shared), nodes, sessions: new EventEmitter() };
  const there = { bus: new LocalClusterBus('i-000000000002', shared) };
  return { here, there, hub: new ConsoleEventHub(here.nodes, here.sessions, here.bus) };
}

const view = { id: 'ses_1', nodeId: 'nd_1', service: 'webui', port: 40001, state: 'open', openedAt: '', expiresAt: '', closedAt: null, closeReason: null } satisfies Omit<SessionView, 'url'>;

describe('ConsoleEventHub', () => {
  it("passes on nodes from the directory, other instances' sessions from the bus, and this one's sessions once", async () => {
    const { here, there, hub } = twoInstances();
    const seen: ConsoleEvent[] = [];
    const stop = hub.subscribe((e) => seen.push(e));
    // The directory speaks for every instance's nodes: a route on the bus is not an event by itself.
    await there.bus.publish('node.route', { nodeId: 'nd_2', instanceId: there.bus.instanceId, online: false, services: [] });
    here.nodes.emit('offline', 'nd_2');
    await there.bus.publish('session', { event: 'session.opened', view, groupId: 'g1' });
    // This instance's own session: heard from its session manager; the bus copy is skipped.
    here.sessions.emit('closed', view, 'g1');
    await here.bus.publish('session', { event: 'session.closed', view, groupId: 'g1' });
    assert.deepEqual(seen, [
      { kind: 'node', online: false, nodeId: 'nd_2' },
      { kind: 'session', event: 'session.opened', view, groupId: 'g1' },
      { kind: 'session', event: 'session.closed', view, groupId: 'g1' },
    ]);
    stop();
    here.nodes.emit('online', 'nd_2');
    await there.bus.publish('session', { event: 'session.opened', view, groupId: 'g1' });
    assert.equal(seen.length, 3, 'no stream open: nothing is listened to');
  });
});
