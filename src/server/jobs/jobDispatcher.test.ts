import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { silentLogger } from '../../shared/log.js';
import { JOBS_SERVICE } from '../../shared/protocol.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import { listTargets } from '../store/jobStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { JobDispatcher } from './jobDispatcher.js';

describe('JobDispatcher.stop', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(async () => {
    await world.close();
  });

  it('resolves only once the delivery under way has written its result', async () => {
    // nodeA offers jobs; the job channel it opens never answers, like a long command.
    let channel: Duplex | undefined;
    let opened!: () => void;
    const delivering = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const conn = Object.assign(new EventEmitter(), {
      nodeId: 'nodeA',
      services: new Set([JOBS_SERVICE]),
      targets: new Map(),
      openService: () => {
        channel = new Duplex({ read() {}, write: (_chunk, _enc, cb) => cb() });
        opened();
        return Promise.resolve(channel);
      },
      close: () => {
        channel?.destroy();
        conn.emit('close');
      },
    });
    const registry = new NodeRegistry();
    registry.add(conn as unknown as NodeConnection);
    const jobs = new JobDispatcher({ db: world.deps.db, registry, instanceId: 'i-000000000001', clock: world.deps.clock, log: silentLogger() });
    jobs.start();
    jobs.kick(['nodeA']);
    await delivering;

    let stopped = false;
    const stopping = Promise.resolve(jobs.stop()).then(() => {
      stopped = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'stop() resolved while a delivery was still under way');
    // The link goes (as when the server drops its tunnels): the delivery fails and is recorded.
    registry.disconnect('nodeA');
    await stopping;
    const [target] = await listTargets(world.deps.db, 'jobA');
    assert.equal(target?.status, 'failed');
    assert.match(target?.error ?? '', /link to the node was lost/);
  });
});
