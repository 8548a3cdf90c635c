import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { SERVICE_PORT, STATUS_CHANNEL, type StatusReply } from '../src/shared/protocol.js';
import { nodePrivateKey, sshOverTunnel } from './chaos/tunnelClient.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

/** Connects as the node with its own key, as a hostile agent would (no burrow agent involved). */
async function connectAs(stack: ModesStack, nodeId: string, key: string): Promise<ssh2.Client> {
  const { client, refused } = await sshOverTunnel(stack.url, nodeId, key);
  if (!client) throw new Error(`the node could not connect: ${refused ?? ''}`);
  return client;
}

// Issue 19, item 7: one tunnel produced 199 node.key.register audit rows in 5 s.
describe('a hostile node cannot flood the audit log (the status history: statusChannel.test.ts)', () => {
  let stack: ModesStack;
  before(async () => {
    stack = await ModesStack.start({ nodeAuditWritesPerMinute: 5 });
  });
  after(async () => {
    await stack?.close();
  });

  it('registers one rotated key per interval however often one tunnel asks, and says why it refuses the rest', async () => {
    const home = await stack.enrollNode('hostile-rotate');
    const id = (await stack.node('hostile-rotate')).id;
    const client = await connectAs(stack, id, await nodePrivateKey(home));
    const replies: StatusReply[] = [];
    client.on('tcp connection', (info, accept: () => ClientChannel) => {
      if (info.destIP !== STATUS_CHANNEL) return;
      const channel = accept();
      let buffered = '';
      channel.on('data', (d: Buffer) => {
        buffered += d.toString('utf8');
        for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
          replies.push(JSON.parse(buffered.slice(0, i)) as StatusReply);
          buffered = buffered.slice(i + 1);
        }
      });
      for (let n = 0; n < 199; n++) channel.write(`${JSON.stringify({ rotateKey: { publicKey: ssh2.utils.generateKeyPairSync('ed25519').public.trim() } })}\n`);
    });
    client.forwardIn(STATUS_CHANNEL, SERVICE_PORT, () => undefined);
    await waitUntil(() => replies.length >= 199, 30_000, 'the server to answer every line');
    client.end();
    assert.equal(replies.filter((r) => r.keyRegistered).length, 1);
    assert.equal(replies.filter((r) => r.keyRefused).length, 198);
    assert.match(replies.find((r) => r.keyRefused)?.keyRefused ?? '', /one rotation per 1h is allowed/);
    assert.equal((await stack.audit('node.key.register')).filter((e) => e.actor === id).length, 1);
  });

  it("keeps a node's connect and disconnect audit rows within its budget, and the next row says how many it left out", async () => {
    const home = await stack.enrollNode('hostile-reconnect');
    const id = (await stack.node('hostile-reconnect')).id;
    const key = await nodePrivateKey(home);
    for (let n = 0; n < 12; n++) {
      const client = await connectAs(stack, id, key);
      client.end();
      await waitUntil(async () => !(await stack.node('hostile-reconnect')).online, 10_000, 'the server to see the node leave');
    }
    const rows = () => stack.audit('node.').then((r) => r.filter((e) => e.actor === id && /^node\.(connect|disconnect)$/.test(e.action)));
    // 5 in a burst, and the bucket refills one every 12 s while the loop runs.
    const kept = (await rows()).length;
    assert.ok(kept >= 5 && kept <= 8, `${kept} rows for 24 connects and disconnects`);
    // Once the budget refills, the next row kept counts those left out.
    await waitUntil(async () => {
      const client = await connectAs(stack, id, key);
      client.end();
      return (await rows()).some((e) => ((e.detail ?? {}) as { unrecordedBefore?: number }).unrecordedBefore !== undefined);
    }, 40_000, 'a row that counts the rows left out');
  });
});
