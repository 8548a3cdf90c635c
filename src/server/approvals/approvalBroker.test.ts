import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { FakeClock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/log.js';
import type { ApprovalPush } from '../../shared/approvalProtocol.js';
import type { NodeStatusReport } from '../../shared/protocol.js';
import type { NodeDirectory } from '../cluster/nodeDirectory.js';
import { listAudit } from '../store/auditStore.js';
import { insertNodeStatus } from '../store/nodeStatusStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { ApprovalBroker, type ApprovalAsk } from './approvalBroker.js';

const report = (enabled: boolean): NodeStatusReport => ({
  uptimeSeconds: 1, load: [0], memory: { totalBytes: 1, freeBytes: 1 }, disk: null, agentVersion: 'test', services: {}, mode: 'always-on', nextCheckInAt: null,
  approval: { enabled, timeoutMs: 60_000 },
});

/** A node handle that records what the server pushes and answers as the test says. */
function fakeNode() {
  const pushes: ApprovalPush[] = [];
  const handle = Object.assign(new EventEmitter(), { nodeId: 'nodeA', pushApproval: (p: ApprovalPush) => (pushes.push(p), true) });
  const registry = { get: (id: string) => (id === 'nodeA' ? handle : undefined) } as unknown as NodeDirectory;
  return { pushes, handle, registry };
}

/** Whether `err` is a BurrowError of `code` whose message matches `re`. */
const burrowError = (code: string, re = /./) => (err: unknown) => err instanceof BurrowError && err.code === code && re.test(err.message);

/** Waits (on the store's real I/O, not on time) until the broker has pushed its request. */
const settle = async (until: () => boolean) => {
  for (let i = 0; i < 1000 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(until(), 'the broker pushed nothing to the node');
};

describe('ApprovalBroker', () => {
  let world: ApiWorld;
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  before(async () => {
    world = await buildApiWorld({ clock });
    await insertNodeStatus(world.deps.db, 'nodeA', clock.now(), report(true), 10);
    await insertNodeStatus(world.deps.db, 'nodeB', clock.now(), report(false), 10);
  });
  after(async () => {
    await world.close();
  });

  const ask = (over: Partial<ApprovalAsk> = {}): ApprovalAsk => ({
    nodeId: 'nodeA', groupId: 'siteA', kind: 'session', service: 'webui', subject: 'ses_x', userId: world.userIds.aOperator, sourceIp: '192.0.2.9', what: 'a WebUI session', validForMs: 60_000, ...over,
  });
  const audit = async (approvalId: string) => (await listAudit(world.deps.db, {})).filter((e) => (JSON.parse(e.detail) as { approvalId?: string }).approvalId === approvalId).sort((a, b) => a.seq - b.seq);

  it('asks nothing of a node that does not require approval', async () => {
    const { pushes, registry } = fakeNode();
    const broker = new ApprovalBroker({ db: world.deps.db, clock, log: silentLogger(), registry });
    assert.equal(await broker.obtain(ask({ nodeId: 'nodeB', groupId: 'custB' })), undefined);
    assert.equal(pushes.length, 0);
  });

  it('waits for the decision on site, ignores a decision for another request, and audits who approved', async () => {
    const { pushes, handle, registry } = fakeNode();
    const broker = new ApprovalBroker({ db: world.deps.db, clock, log: silentLogger(), registry });
    const obtained = broker.obtain(ask());
    await settle(() => pushes.length > 0);
    const push = pushes[0];
    assert.ok(push && 'request' in push);
    assert.match(push.request.user, /@/, 'the person on site sees who asks, by email');
    assert.equal(push.request.subject, 'ses_x');
    handle.emit('approval-decision', { id: 'apr_somethingelse', outcome: 'approved', by: 'mallory', reason: '' });
    handle.emit('approval-decision', { id: push.request.id, outcome: 'approved', by: 'alice', reason: 'expected' });
    assert.equal(await obtained, push.request.id);
    const rows = await audit(push.request.id);
    assert.deepEqual(rows.map((r) => r.action), ['approval.request', 'approval.approved']);
    assert.deepEqual(JSON.parse(rows[1]?.detail ?? '{}').by, 'alice');
  });

  it('turns a denial into APPROVAL_DENIED with the reason given on site', async () => {
    const { pushes, handle, registry } = fakeNode();
    const broker = new ApprovalBroker({ db: world.deps.db, clock, log: silentLogger(), registry });
    const obtained = broker.obtain(ask());
    await settle(() => pushes.length > 0);
    const id = (pushes[0] as { request: { id: string } }).request.id;
    handle.emit('approval-decision', { id, outcome: 'denied', by: 'bob', reason: 'production run' });
    await assert.rejects(obtained, burrowError('APPROVAL_DENIED', /bob: production run/));
    const rows = await audit(id);
    assert.equal(rows.at(-1)?.action, 'approval.denied');
    assert.equal(rows.at(-1)?.result, 'denied');
  });

  it('withdraws the request on the node when the requester gives up, and when the node never answers', async () => {
    const { pushes, registry } = fakeNode();
    const broker = new ApprovalBroker({ db: world.deps.db, clock, log: silentLogger(), registry });
    const cancel = new AbortController();
    const cancelled = broker.obtain(ask({ signal: cancel.signal }));
    await settle(() => pushes.length > 0);
    cancel.abort();
    await assert.rejects(cancelled, burrowError('APPROVAL_WITHDRAWN'));
    const first = (pushes[0] as { request: { id: string } }).request.id;
    assert.deepEqual(pushes[1], { withdraw: { id: first, reason: 'cancelled by the requester' } });
    assert.equal((await audit(first)).at(-1)?.action, 'approval.withdraw');

    const silent = broker.obtain(ask());
    await settle(() => pushes.length > 2);
    clock.advance(60_000 + 30_000);
    await assert.rejects(silent, burrowError('APPROVAL_WITHDRAWN', /did not answer/));
  });

  it('withdraws the request when the node disconnects', async () => {
    const { pushes, handle, registry } = fakeNode();
    const broker = new ApprovalBroker({ db: world.deps.db, clock, log: silentLogger(), registry });
    const obtained = broker.obtain(ask());
    await settle(() => pushes.length > 0);
    handle.emit('close');
    await assert.rejects(obtained, burrowError('APPROVAL_WITHDRAWN', /node disconnected/));
  });

  it("withdraws with the reason its holder gave (a cancelled job) and tells consoles of the node's group as it waits and ends", async () => {
    const { pushes, handle, registry } = fakeNode();
    const published: { topic: string; payload: { event: string; groupId: string; notice: { id: string; nodeId: string; outcome?: string; reason?: string } } }[] = [];
    const bus = { publish: (topic: string, payload: unknown) => (published.push({ topic, payload } as (typeof published)[number]), Promise.resolve()) };
    const broker = new ApprovalBroker({ db: world.deps.db, clock, log: silentLogger(), registry, bus } as ConstructorParameters<typeof ApprovalBroker>[0]);
    const cancel = new AbortController();
    // A group job's group is wider than its node's: consoles are told under the node's group.
    const cancelled = broker.obtain(ask({ kind: 'job', service: 'jobs', subject: 'job_1', groupId: 'custA', signal: cancel.signal }));
    await settle(() => pushes.length > 0);
    const id = (pushes[0] as { request: { id: string } }).request.id;
    assert.deepEqual(published.map((p) => [p.topic, p.payload.event, p.payload.groupId, p.payload.notice.id, p.payload.notice.nodeId]), [['approval', 'approval.waiting', 'siteA', id, 'nodeA']]);
    cancel.abort('the job was cancelled');
    await assert.rejects(cancelled, burrowError('APPROVAL_WITHDRAWN', /the job was cancelled/));
    assert.deepEqual(pushes[1], { withdraw: { id, reason: 'the job was cancelled' } });
    assert.equal(published[1]?.payload.event, 'approval.withdrawn');
    assert.equal(published[1]?.payload.notice.reason, 'the job was cancelled');

    const decided = broker.obtain(ask());
    await settle(() => pushes.length > 2);
    const second = (pushes[2] as { request: { id: string } }).request.id;
    handle.emit('approval-decision', { id: second, outcome: 'approved', by: 'alice', reason: '' });
    assert.equal(await decided, second);
    assert.deepEqual(published.slice(2).map((p) => [p.payload.event, p.payload.notice.outcome]), [['approval.waiting', undefined], ['approval.decided', 'approved']]);
  });
});
