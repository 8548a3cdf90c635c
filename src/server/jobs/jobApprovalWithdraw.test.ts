import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { FakeClock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/log.js';
import { JOBS_SERVICE } from '../../shared/protocol.js';
import type { ApprovalAsk } from '../approvals/approvalBroker.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import { LocalClusterBus } from '../cluster/clusterBus.js';
import { cancelWaitingApproval, insertJob, listTargets } from '../store/jobStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { JobDispatcher } from './jobDispatcher.js';

/** A node that offers jobs; a job channel opened on it is a job delivered (which these tests must never see). */
function jobNode(nodeId: string) {
  const delivered: string[] = [];
  const conn = Object.assign(new EventEmitter(), {
    nodeId,
    services: new Set([JOBS_SERVICE]),
    targets: new Map(),
    openService: () => {
      delivered.push(nodeId);
      return Promise.reject(new Error('delivered'));
    },
    close: () => conn.emit('close'),
  });
  const registry = new NodeRegistry();
  registry.add(conn as unknown as NodeConnection);
  return { registry, delivered };
}

/** Approvals that wait, like a person on site who never decides, until the request is withdrawn. */
function undecidedSite() {
  const asked: ApprovalAsk[] = [];
  let onAsk = () => {};
  const askedOnce = new Promise<void>((resolve) => {
    onAsk = resolve;
  });
  const approvals = {
    obtain: (a: ApprovalAsk) =>
      new Promise<string | undefined>((_resolve, reject) => {
        asked.push(a);
        a.onWaiting?.({ id: 'apr_test00000001', timeoutMs: 3_600_000 });
        onAsk();
        a.signal?.addEventListener('abort', () => reject(new BurrowError('APPROVAL_WITHDRAWN', `withdrawn: ${String(a.signal?.reason)}`)), { once: true });
      }),
  };
  return { approvals, asked, askedOnce };
}

/** Waits (on the store's real I/O, not on time) until `nodeId`'s part of `jobId` has ended. */
async function ended(world: ApiWorld, jobId: string, nodeId: string) {
  for (let i = 0; i < 2000; i++) {
    const t = (await listTargets(world.deps.db, jobId)).find((x) => x.nodeId === nodeId);
    if (t && t.status !== 'running' && t.status !== 'pending') return t;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`${jobId} never ended on ${nodeId}`);
}

describe('JobDispatcher: a job waiting for approval on site', () => {
  let world: ApiWorld;
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  before(async () => {
    world = await buildApiWorld({ clock });
  });
  after(async () => {
    await world.close();
  });

  const job = (id: string, expiresInMs: number) => {
    const now = clock.now();
    return { id, kind: 'command' as const, command: 'true', path: null, mode: null, payload: null, sha256: null, manifest: null, signature: null, timeoutMs: 60_000, stopAfterFailures: null, createdBy: null, groupId: 'custB', createdAt: now, expiresAt: now + expiresInMs };
  };

  it('withdraws its request when the job is cancelled on another instance, and never delivers it', async () => {
    const { registry, delivered } = jobNode('nodeB');
    const site = undecidedSite();
    const shared = new EventEmitter();
    const here = new LocalClusterBus('i-000000000001', shared);
    const there = new LocalClusterBus('i-000000000002', shared);
    const jobs = new JobDispatcher({ db: world.deps.db, registry, instanceId: 'i-000000000001', cluster: here, clock, log: silentLogger(), approvals: site.approvals });
    jobs.start();
    await insertJob(world.deps.db, job('jobW1', 3_600_000), ['nodeB']);
    jobs.kick(['nodeB']);
    await site.askedOnce;
    // What the cancel route does on the other instance: end the waiting target, tell every instance.
    for (let i = 0; i < 2000 && (await listTargets(world.deps.db, 'jobW1'))[0]?.approvalWaitingSince === null; i++) await new Promise((r) => setImmediate(r));
    assert.equal(await cancelWaitingApproval(world.deps.db, 'jobW1', clock.now()), 1);
    await there.publish('job.cancelled', { jobId: 'jobW1' });
    const t = await ended(world, 'jobW1', 'nodeB');
    assert.equal(t.status, 'cancelled');
    assert.equal(site.asked[0]?.signal?.reason, 'the job was cancelled', 'the node is told why');
    assert.deepEqual(delivered, []);
    await jobs.stop();
  });

  it('withdraws its request when the job expires while it waits, and ends it expired', async () => {
    const { registry, delivered } = jobNode('nodeB');
    const site = undecidedSite();
    const jobs = new JobDispatcher({ db: world.deps.db, registry, instanceId: 'i-000000000001', cluster: new LocalClusterBus('i-000000000001'), clock, log: silentLogger(), approvals: site.approvals, sweepIntervalMs: 3_600_000 });
    jobs.start();
    await insertJob(world.deps.db, job('jobW2', 10_000), ['nodeB']);
    jobs.kick(['nodeB']);
    await site.askedOnce;
    clock.advance(9_999);
    assert.equal(site.asked[0]?.signal?.aborted, false);
    clock.advance(1);
    const t = await ended(world, 'jobW2', 'nodeB');
    assert.equal(t.status, 'expired');
    assert.match(t.error ?? '', /expired while it waited for approval on site/);
    assert.equal(site.asked[0]?.signal?.reason, 'the job expired');
    assert.deepEqual(delivered, []);
    await jobs.stop();
  });
});
