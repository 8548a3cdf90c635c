import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { BurrowError } from '../../shared/errors.js';
import type { NodeRouteWithPeer } from '../store/nodeRouteStore.js';
import type { ClusterTopics } from './clusterBus.js';
import { PeerNode } from './peerNode.js';
import type { PeerDialer } from './peerDialer.js';

const ROUTE: NodeRouteWithPeer = { nodeId: 'nd_1', instanceId: 'i-00000000000b', services: ['webui'], targets: {}, connectedAt: 1, remoteIp: '198.51.100.1', peerUrl: 'https://b.example:7443' };
const ORIGIN = { ip: '203.0.113.7', port: 50000 };

/** A peer node whose commands are collected and whose dialer (if any) records where it dialed. */
function peer(o: { dialer?: boolean; peerUrl?: string | null } = {}) {
  const commands: ClusterTopics['node.command']['command'][] = [];
  const dialed: string[] = [];
  const dialer: PeerDialer = {
    openService: (peerUrl, nodeId, service) => {
      dialed.push(`${peerUrl} ${nodeId} ${service}`);
      return Promise.resolve(new PassThrough());
    },
    close: () => Promise.resolve(),
  };
  const node = new PeerNode({ ...ROUTE, peerUrl: o.peerUrl === undefined ? ROUTE.peerUrl : o.peerUrl }, { dialer: o.dialer === false ? undefined : dialer, command: (_id, c) => commands.push(c) });
  return { node, commands, dialed };
}

describe('PeerNode', () => {
  it('dials the holding instance for a service the node offers', async () => {
    const { node, dialed } = peer();
    (await node.openService('webui', ORIGIN)).destroy();
    assert.deepEqual(dialed, ['https://b.example:7443 nd_1 webui']);
  });

  it('says PEER_UNREACHABLE when either side has no peer link', async () => {
    for (const o of [{ dialer: false }, { peerUrl: null }]) {
      await assert.rejects(peer(o).node.openService('webui', ORIGIN), (err: BurrowError) => err.code === 'PEER_UNREACHABLE' && /peer link/.test(err.message));
    }
  });

  it('sends its commands to the holder while the route stands, and nothing once it is gone', async () => {
    const { node, commands } = peer();
    assert.equal(node.requestKeyRotation(), true);
    node.close();
    let closes = 0;
    node.on('close', () => (closes += 1));
    node.markGone();
    node.markGone();
    assert.equal(closes, 1);
    assert.equal(node.isOpen, false);
    assert.equal(node.requestKeyRotation(), false);
    assert.equal(node.pushServiceChange({ id: 'c', set: {}, remove: ['webui'] }), false);
    node.close();
    assert.deepEqual(commands, [{ kind: 'rotate-key' }, { kind: 'disconnect' }]);
    await assert.rejects(node.openService('webui', ORIGIN), (err: BurrowError) => err.code === 'NODE_OFFLINE');
  });
});
