import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeStatusView } from '../src/shared/protocol.js';
import { runBurrow as burrow, burrowJson } from './harness/burrowCli.js';
import { freePort } from './harness/freePort.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

const hms = (t: number) => new Date(t).toISOString().slice(11, 19);

describe('status reports and server-held work (real server and agent)', () => {
  let stack: ModesStack;
  before(async () => {
    stack = await ModesStack.start({ statusHistoryLimit: 3 });
  });
  after(async () => {
    await stack?.close();
  });

  const status = (name: string) => burrowJson<NodeStatusView>(['admin', 'node', 'status', name, '--home', stack.adminHome, '--limit', '50']);

  it('reports health every status interval, keeps a bounded history, and says which services answer', async () => {
    const closedPort = await freePort();
    const home = await stack.enrollNode('st1', { statusIntervalMs: 700 });
    const cfgPath = join(home, 'node.json');
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as { services: Record<string, string> };
    cfg.services.api = `127.0.0.1:${closedPort}`;
    await import('node:fs/promises').then((fs) => fs.writeFile(cfgPath, JSON.stringify(cfg)));
    const agent = stack.runNode(home);
    await waitUntil(async () => (await status('st1')).history.length >= 3, 20_000, 'three reports from st1');
    const s = await status('st1');
    assert.equal(s.online, true);
    assert.equal(s.history.length, 3, 'history is trimmed to statusHistoryLimit');
    assert.ok(s.latest);
    assert.equal(s.latest.agentVersion, '0.1.0');
    assert.ok(s.latest.uptimeSeconds > 0 && s.latest.memory.totalBytes > 0 && s.latest.load.length === 3);
    assert.ok(s.latest.disk && s.latest.disk.totalBytes > 0);
    assert.deepEqual(s.latest.services.webui, { reachable: true });
    assert.equal(s.latest.services.api?.reachable, false);
    assert.equal(s.latest.mode, 'always-on');
    assert.equal(s.nextCheckIn, null);
    await agent.stop();
    await waitUntil(async () => !(await status('st1')).online, 10_000, 'st1 offline');
  });

  it('keeps an on-demand node connected past its duration while a session is open, and lets it go after', async () => {
    const home = await stack.enrollNode('st2', { holdCheckMs: 500 });
    const start = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    const set = await burrow(['node', 'mode', 'on-demand', '--window', `daily ${hms(start)}-${hms(start + 120_000)}`, '--tz', 'UTC', '--interval', '60s', '--duration', '10s', '--home', home]);
    assert.equal(set.code, 0, set.stderr);
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('st2')).online, 20_000, 'st2 checks in');
    // Opened early in the 10 s check-in, so the node is still there.
    const session = await burrowJson<{ id: string }>(['admin', 'session', 'open', 'st2', '--home', stack.adminHome]);
    // The check-in's report says when the next one comes.
    await waitUntil(async () => (await stack.node('st2')).nextCheckIn !== null, 10_000, 'st2 reports its next check-in');
    const view = await stack.node('st2');
    assert.equal(view.nextCheckIn, new Date(start + 60_000).toISOString());
    await agent.waitFor(/staying connected: the server holds work/, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent.logs}`);
    });
    assert.equal((await stack.node('st2')).online, true);
    assert.equal((await burrowJson<{ connect: string }>(['node', 'status', '--home', home])).connect, 'holding');
    assert.equal((await burrow(['admin', 'session', 'close', session.id, '--home', stack.adminHome])).code, 0);
    await waitUntil(async () => !(await stack.node('st2')).online, 15_000, 'st2 leaves once the work is done');
    assert.equal((await burrowJson<{ connect: string }>(['node', 'status', '--home', home])).connect, 'sleeping');
    assert.equal(view.mode, 'on-demand');
    await agent.stop();
  });

  it('applies a mode proposed by the server at the next connection, unless the operator locked it', async () => {
    const free = await stack.enrollNode('st3');
    const locked = await stack.enrollNode('st4');
    assert.equal((await burrow(['node', 'mode', 'always-on', '--lock', '--home', locked])).code, 0);
    const a = stack.runNode(free);
    const b = stack.runNode(locked);
    await waitUntil(async () => (await stack.node('st3')).online && (await stack.node('st4')).online, 20_000, 'st3 and st4 online');
    const far = Date.now() + 6 * 3_600_000;
    for (const n of ['st3', 'st4']) {
      const r = await burrow(['admin', 'node', 'propose-mode', n, 'on-demand', '--window', `daily ${hms(far)}-${hms(far + 60_000)}`, '--tz', 'UTC', '--home', stack.adminHome]);
      assert.equal(r.code, 0, r.stderr);
    }
    // The next connection: drop both tunnels by restarting the agents.
    await Promise.all([a.stop(), b.stop()]);
    const a2 = stack.runNode(free);
    const b2 = stack.runNode(locked);
    await a2.waitFor(/applying the connect mode proposed by the server/, 20_000);
    await b2.waitFor(/ignored because the mode is locked/, 20_000);
    await waitUntil(async () => (await burrowJson<{ mode: string; connect: string }>(['node', 'status', '--home', free])).connect === 'sleeping', 10_000, 'st3 asleep in on-demand');
    assert.equal((await stack.node('st3')).online, false);
    const lockedStatus = await burrowJson<{ mode: string; connected: boolean }>(['node', 'status', '--home', locked]);
    assert.equal(lockedStatus.mode, 'always-on');
    assert.equal(lockedStatus.connected, true);
    assert.equal((await status('st3')).proposedMode?.mode, 'on-demand');
  });
});
