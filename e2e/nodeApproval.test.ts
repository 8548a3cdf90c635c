import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView } from '../src/shared/protocol.js';
import { runBurrow } from './harness/burrowCli.js';
import { errorOf, rawRequest } from './harness/rawRequest.js';
import type { Stack } from './harness/stack.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

/** Fast knocking so the test waits seconds, not the 30 s / 60 s defaults. */
const quick = { backoffInitialMs: 300, backoffMaxMs: 1_000, pendingRetryMs: 1_000 };

const openSession = (s: Stack, nodeId: string) =>
  rawRequest({ method: 'POST', url: new URL('/v1/sessions', s.url).toString(), pin: s.pin, body: JSON.stringify({ node: nodeId }), headers: { 'content-type': 'application/json', authorization: `Bearer ${s.apiToken}` } });

// Issue 3: a node enrolled without auto-approve waits outside until an administrator lets
// it in; a revoked node is cut off at once and told why.
describe('node approval and revocation', () => {
  const stack = stackSuite({ nodeConfig: quick });

  it('keeps a pending node out until an administrator approves it', async () => {
    const s = stack();
    // The default knock interval (30 s): being let in must not wait for the next knock.
    const node = await s.enrollNode('p1', await s.enrollToken(), { backoffInitialMs: 300, backoffMaxMs: 1_000 });
    assert.equal(node.status, 'pending');
    s.runAgent(node);

    const waiting = await waitFor('the agent to report that it waits for approval', async () => {
      const st = await s.nodeStatus(node);
      return st.lastError !== null && /approve/.test(st.lastError) ? st : undefined;
    });
    assert.equal(waiting.agent, 'running');
    assert.equal(waiting.connected, false);
    const view = await s.api<NodeView>('GET', `/v1/nodes/${node.id}`);
    assert.deepEqual({ status: view.status, online: view.online }, { status: 'pending', online: false });
    const refused = await openSession(s, node.id);
    assert.equal(refused.status, 409);
    assert.equal(errorOf(refused).code, 'NODE_NOT_APPROVED');

    await s.admin(['node', 'approve', node.id]);
    // The waiting agent is told at once: online within seconds, not at its next knock.
    const online = await s.waitOnline(node.id, true, 5_000);
    assert.equal(online.status, 'approved');
    const st = await waitFor('the agent to say it is connected', async () => {
      const x = await s.nodeStatus(node);
      return x.connected ? x : undefined;
    });
    assert.equal(st.lastError, null);
  });

  it('cuts a revoked node off at once and tells its agent why', async () => {
    const s = stack();
    assert.equal((await s.api<NodeView>('GET', `/v1/nodes/${s.node.id}`)).online, true);
    await s.admin(['node', 'revoke', s.node.id]);
    // The revoke answers after the tunnel is cut, so this first look already sees it
    // offline; the one-second bound only absorbs polling.
    const view = await s.waitOnline(s.node.id, false, 1_000);
    assert.equal(view.status, 'revoked');

    const st = await waitFor('the agent to report the revocation', async () => {
      const x = await s.nodeStatus(s.node);
      return x.lastError !== null && /revoked/.test(x.lastError) ? x : undefined;
    });
    assert.equal(st.connected, false);
    assert.equal(st.agent, 'running');
    const refused = await openSession(s, s.node.id);
    assert.equal(refused.status, 409);
    assert.equal(errorOf(refused).code, 'NODE_NOT_APPROVED');
    // It stays out: its next knock is refused too (the agent would say "tunnel up" otherwise).
    assert.equal((await s.api<NodeView>('GET', `/v1/nodes/${s.node.id}`)).online, false);

    // Approving does not undo a revocation: re-enrolment is the way back.
    const again = await runBurrow(['admin', 'node', 'approve', s.node.id], { env: { BURROW_HOME: s.adminHome } });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /revoked.*enrol/i);
    assert.equal((await s.api<NodeView>('GET', `/v1/nodes/${s.node.id}`)).status, 'revoked');
  });
});
