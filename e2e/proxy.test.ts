import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBurrow as burrow, burrowJson } from './harness/burrowCli.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';
import { SquidProxy, type SquidAuth } from './harness/squidProxy.js';

interface NodeStatus {
  connected: boolean;
  lastError: string | null;
}

describe('the tunnel through a real HTTP proxy (squid)', () => {
  let stack: ModesStack;
  const proxies: SquidProxy[] = [];
  before(async () => {
    stack = await ModesStack.start();
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await stack?.close();
  });

  for (const auth of ['basic', 'digest'] as SquidAuth[]) {
    it(`connects through squid with ${auth} auth, with the password stored encrypted`, async () => {
      const squid = await SquidProxy.start(auth, 'nodeuser', 'proxy-secret-1');
      proxies.push(squid);
      const home = await stack.enrollNode(`px-${auth}`);
      await writeFile(join(home, 'proxy-pw'), 'proxy-secret-1\n', { mode: 0o600 });
      const set = await burrow(['node', 'proxy', 'set', squid.url, '--user', 'nodeuser', '--password-file', join(home, 'proxy-pw'), '--home', home]);
      assert.equal(set.code, 0, set.stderr);
      const stored = await readFile(join(home, 'node.json'), 'utf8');
      assert.doesNotMatch(stored, /proxy-secret-1/);
      assert.match(stored, /"sealedPassword": "v1:/);
      const agent = stack.runNode(home);
      await waitUntil(async () => (await stack.node(`px-${auth}`)).online, 20_000, `px-${auth} online through squid`);
      await agent.stop();
      // squid logs a tunnel when it ends, as the authenticated user: it really went through squid.
      const logged = new RegExp(`TCP_TUNNEL/200 .* CONNECT 127\\.0\\.0\\.1:${new URL(stack.url).port} nodeuser`);
      await waitUntil(async () => logged.test(await readFile(join(squid.dir, 'access.log'), 'utf8')), 10_000, 'squid to log the tunnel');
    });
  }

  it('connects through squid with NTLM, a DOMAIN\\user name and the password stored encrypted', async () => {
    const squid = await SquidProxy.start('ntlm', 'nodeuser', 'proxy-secret-1');
    proxies.push(squid);
    const home = await stack.enrollNode('px-ntlm');
    await writeFile(join(home, 'proxy-pw'), 'proxy-secret-1\n', { mode: 0o600 });
    const set = await burrow(['node', 'proxy', 'set', squid.url, '--user', 'FIELD\\nodeuser', '--password-file', join(home, 'proxy-pw'), '--home', home]);
    assert.equal(set.code, 0, set.stderr);
    assert.doesNotMatch(await readFile(join(home, 'node.json'), 'utf8'), /proxy-secret-1/);
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('px-ntlm')).online, 20_000, 'px-ntlm online through squid with NTLM');
    await agent.stop();
    // The helper names the user it read from our AUTHENTICATE message (squid logs the backslash escaped).
    const logged = new RegExp(`TCP_TUNNEL/200 .* CONNECT 127\\.0\\.0\\.1:${new URL(stack.url).port} FIELD(?:\\\\|%5C)+nodeuser`, 'i');
    await waitUntil(async () => logged.test(await readFile(join(squid.dir, 'access.log'), 'utf8')), 10_000, 'squid to log the NTLM user');
  });

  it('a proxy set while the agent runs is used at once: the agent reconnects through it', async () => {
    const squid = await SquidProxy.start('basic', 'nodeuser', 'proxy-secret-1');
    proxies.push(squid);
    const home = await stack.enrollNode('px-live');
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('px-live')).online, 20_000, 'px-live online directly');
    const from = agent.logs.length;
    const set = await burrow(['node', 'proxy', 'set', `http://nodeuser:proxy-secret-1@127.0.0.1:${squid.port}`, '--home', home]);
    assert.equal(set.code, 0, set.stderr);
    // The agent drops its direct tunnel and comes back through squid within seconds.
    await agent.waitFor(/"msg":"tunnel down"/, 10_000, from);
    await agent.waitFor(/"msg":"tunnel up"/, 10_000, agent.logs.indexOf('"msg":"tunnel down"', from));
    await waitUntil(async () => (await stack.node('px-live')).online, 10_000, 'px-live online again');
    await agent.stop();
    const logged = new RegExp(`TCP_TUNNEL/200 .* CONNECT 127\\.0\\.0\\.1:${new URL(stack.url).port} nodeuser`);
    await waitUntil(async () => logged.test(await readFile(join(squid.dir, 'access.log'), 'utf8').catch(() => '')), 10_000, 'squid to log the tunnel');
  });

  it('says clearly that the proxy refused the credentials (407), and that a port is forbidden (403)', async () => {
    const squid = await SquidProxy.start('digest', 'nodeuser', 'proxy-secret-1');
    proxies.push(squid);
    const home = await stack.enrollNode('px-wrong');
    assert.equal((await burrow(['node', 'proxy', 'set', `http://nodeuser:wrong-password@127.0.0.1:${squid.port}`, '--home', home])).code, 0);
    const agent = stack.runNode(home);
    await waitUntil(async () => (await burrowJson<NodeStatus>(['node', 'status', '--home', home])).lastError !== null, 20_000, 'an error from the proxy');
    const s = await burrowJson<NodeStatus>(['node', 'status', '--home', home]);
    assert.equal(s.connected, false);
    assert.match(s.lastError ?? '', /proxy 127\.0\.0\.1:\d+ refused the credentials \(407/);
    await agent.stop();

    const forbidding = await SquidProxy.start('basic', 'nodeuser', 'proxy-secret-1', Number(new URL(stack.url).port));
    proxies.push(forbidding);
    const home2 = await stack.enrollNode('px-403');
    assert.equal((await burrow(['node', 'proxy', 'set', `http://nodeuser:proxy-secret-1@127.0.0.1:${forbidding.port}`, '--home', home2])).code, 0);
    const agent2 = stack.runNode(home2);
    await waitUntil(async () => (await burrowJson<NodeStatus>(['node', 'status', '--home', home2])).lastError !== null, 20_000, 'an error from the proxy');
    assert.match((await burrowJson<NodeStatus>(['node', 'status', '--home', home2])).lastError ?? '', /forbids connections to 127\.0\.0\.1:\d+ \(403/);
    await agent2.stop();
  });
});
