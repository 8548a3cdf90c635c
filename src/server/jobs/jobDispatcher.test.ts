import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { silentLogger } from '../../shared/log.js';
import { JOBS_SERVICE } from '../../shared/protocol.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import { LocalClusterBus } from '../cluster/clusterBus.js';
import { insertJob, listTargets } from '../store/jobStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { JobDispatcher } from './jobDispatcher.js';

/**
 * A registry holding one node that offers jobs and whose job channel never answers, like a
 * long command; `delivering` resolves once a delivery opened that channel.
 */
function nodeWithSilentJobs(nodeId: string): { registry: NodeRegistry; delivering: Promise<void> } {
  let channel: Duplex | undefined;
  let opened!: () => void;
  const delivering = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const conn = Object.assign(new EventEmitter(), {
    nodeId,
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
  return { registry, delivering };
}

describe('JobDispatcher.stop', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(async () => {
    await world.close();
  });

  it('resolves only once the delivery under way has written its result', async () => {
    const { registry, delivering } = nodeWithSilentJobs('nodeA');
    const jobs = new JobDispatcher({ db: world.deps.db, registry, instanceId: 'i-000000000001', cluster: world.deps.cluster, clock: world.deps.clock, log: silentLogger() });
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

describe('JobDispatcher and the cluster bus', () => {
  let world: ApiWorld;
  before(async () => {
    world = await buildApiWorld();
  });
  after(async () => {
    await world.close();
  });

  it('delivers at once a job another instance announced, to the node it holds', async () => {
    const { registry, delivering } = nodeWithSilentJobs('nodeB');
    const shared = new EventEmitter();
    const here = new LocalClusterBus('i-000000000001', shared);
    const there = new LocalClusterBus('i-000000000002', shared);
    const jobs = new JobDispatcher({ db: world.deps.db, registry, instanceId: 'i-000000000001', cluster: here, clock: world.deps.clock, log: silentLogger() });
    jobs.start();
    const now = world.deps.clock.now();
    await insertJob(world.deps.db, { id: 'jobB', kind: 'command', command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 60_000, stopAfterFailures: null, createdBy: null, groupId: 'custB', createdAt: now, expiresAt: now + 60_000 }, ['nodeA', 'nodeB']);
    await there.publish('job.created', { jobId: 'jobB' });
    await delivering;
    assert.deepEqual((await listTargets(world.deps.db, 'jobB')).map((t) => [t.nodeId, t.status]), [['nodeA', 'pending'], ['nodeB', 'running']], 'nodeA is not held here: its part waits');
    registry.disconnect('nodeB');
    await jobs.stop();
  });
});
