import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { runBurrow as burrow, burrowJson } from './harness/burrowCli.js';
import { burrowBin } from './harness/paths.js';
import { ModesStack } from './harness/modesStack.js';
import { waitUntil } from './harness/waitFor.js';

/** "HH:MM:SS" in UTC of instant `t`. */
const hms = (t: number) => new Date(t).toISOString().slice(11, 19);

interface NodeStatus {
  mode: string;
  connect: string | null;
  connected: boolean;
  agent: string;
  lastConnectedAt: string | null;
  nextCheckInAt: string | null;
}

describe('connect modes (real server and agent)', () => {
  let stack: ModesStack;
  before(async () => {
    stack = await ModesStack.start();
  });
  after(async () => {
    await stack?.close();
  });

  it('burrow node status piped into a reader that stops early ends quietly, as a Unix tool does', async () => {
    const home = await stack.enrollNode('piped');
    // `true` exits without reading, so every write of burrow's finds the pipe closed.
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('bash', ['-c', 'set -o pipefail; "$0" node status --home "$1" | true', burrowBin, home], (err, _out, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr });
      });
    });
    assert.equal(r.stderr, '', 'nothing on stderr, no stack trace');
    assert.equal(r.code, 141, 'the status of a tool stopped by SIGPIPE');
  });

  it('an on-demand node with a compressed schedule connects only inside its window', async () => {
    const home = await stack.enrollNode('od1');
    // Whole seconds, so the window in HH:MM:SS is exact; the start leaves time to boot.
    const windowStart = Math.ceil(Date.now() / 1000) * 1000 + 20_000;
    const windowEnd = windowStart + 8000;
    const set = await burrow(['node', 'mode', 'on-demand', '--window', `daily ${hms(windowStart)}-${hms(windowEnd)}`, '--tz', 'UTC', '--interval', '3s', '--duration', '2s', '--home', home]);
    assert.equal(set.code, 0, set.stderr);
    const agent = stack.runNode(home);
    await agent.waitFor(/burrow agent starting/);
    const status = await burrowJson<NodeStatus>(['node', 'status', '--home', home]);
    assert.equal(status.mode, 'on-demand');
    assert.equal(status.connect, 'sleeping');
    assert.equal(status.nextCheckInAt, new Date(windowStart).toISOString());
    const onlineBefore = (await stack.node('od1')).online;
    // Checked first: on a machine so slow that the window began meanwhile, being online says nothing.
    assert.ok(Date.now() < windowStart, 'the checks before the window ran late; the machine is too slow for this schedule');
    assert.equal(onlineBefore, false);

    await waitUntil(() => Date.now() > windowEnd + 4000, 45_000, 'the window and its last check-in to pass');
    const row = await stack.node('od1');
    assert.equal(row.online, false);
    const connects = (await stack.audit('node.connect')).filter((e) => e.actor === row.id).map((e) => Date.parse(e.at));
    // Check-ins at +0, +3 and +6 s; each is logged once its tunnel is up.
    assert.ok(connects.length >= 2 && connects.length <= 3, `connects: ${connects.length}`);
    for (const at of connects) assert.ok(at >= windowStart && at < windowEnd + 2000, `connect at ${new Date(at).toISOString()} outside the window`);
    const after = await burrowJson<NodeStatus>(['node', 'status', '--home', home]);
    assert.equal(after.connect, 'sleeping');
    assert.equal(after.nextCheckInAt, new Date(windowStart + 86_400_000).toISOString());
    assert.ok(after.lastConnectedAt !== null && Date.parse(after.lastConnectedAt) >= windowStart);
    await agent.stop();
  });

  it('follows a mode changed by the CLI while it runs, without a restart', async () => {
    const home = await stack.enrollNode('od2');
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('od2')).online, 15_000, 'od2 online');

    const far = Date.now() + 6 * 3_600_000;
    const set = await burrow(['node', 'mode', 'on-demand', '--window', `daily ${hms(far)}-${hms(far + 60_000)}`, '--tz', 'UTC', '--interval', '30m', '--duration', '5m', '--home', home]);
    assert.equal(set.code, 0, set.stderr);
    await waitUntil(async () => !(await stack.node('od2')).online, 10_000, 'od2 offline after switching to on-demand').catch((err: Error) => {
      throw new Error(`${err.message}\n${agent.logs}\n${stack.serverLogs}`);
    });
    const sleeping = await burrowJson<NodeStatus>(['node', 'status', '--home', home]);
    assert.equal(sleeping.mode, 'on-demand');
    assert.equal(sleeping.connect, 'sleeping');
    assert.equal(sleeping.agent, 'running');
    assert.equal(sleeping.connected, false);
    assert.equal(Date.parse(sleeping.nextCheckInAt ?? ''), Math.floor(far / 1000) * 1000);
    // The server learnt the new mode and the next check-in before the agent left.
    const row = await stack.node('od2');
    assert.equal(row.mode, 'on-demand');
    assert.equal(row.nextCheckIn, sleeping.nextCheckInAt);
    const queued = await burrow(['admin', 'session-request', 'create', 'od2', '--home', stack.adminHome]);
    assert.equal(queued.code, 0, queued.stderr);

    assert.equal((await burrow(['node', 'mode', 'always-on', '--home', home])).code, 0);
    await waitUntil(async () => (await stack.node('od2')).online, 15_000, 'od2 online again after switching back');
    assert.equal(agent.child.exitCode, null);
    const on = await burrowJson<NodeStatus>(['node', 'status', '--home', home]);
    assert.equal(on.mode, 'always-on');
    assert.equal(on.connected, true);
    await agent.stop();
  });

  it('a mode proposed by an administrator reaches the server before the agent leaves', async () => {
    // Reports every second, so the proposal reaches the agent quickly (it rides on the replies).
    const home = await stack.enrollNode('od4', { statusIntervalMs: 1000 });
    const agent = stack.runNode(home);
    await waitUntil(async () => (await stack.node('od4')).online, 15_000, 'od4 online');
    const far = Date.now() + 6 * 3_600_000;
    const r = await burrow(['admin', 'node', 'propose-mode', 'od4', 'on-demand', '--window', `daily ${hms(far)}-${hms(far + 60_000)}`, '--tz', 'UTC', '--interval', '30m', '--duration', '5m', '--home', stack.adminHome]);
    assert.equal(r.code, 0, r.stderr);
    await waitUntil(async () => !(await stack.node('od4')).online, 20_000, 'od4 offline after applying the proposal');
    const row = await stack.node('od4');
    assert.equal(row.mode, 'on-demand');
    assert.equal(Date.parse(String(row.nextCheckIn)), Math.floor(far / 1000) * 1000);
    const queued = await burrow(['admin', 'session-request', 'create', 'od4', '--home', stack.adminHome]);
    assert.equal(queued.code, 0, queued.stderr);
    await agent.stop();
  });

  it('refuses a bad schedule with one clear sentence and leaves node.json as it was', async () => {
    const home = await stack.enrollNode('od3');
    const r = await burrow(['node', 'mode', 'on-demand', '--window', 'Mon 25:00-26:00', '--tz', 'UTC', '--home', home]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not a time of day/);
    const z = await burrow(['node', 'mode', 'on-demand', '--window', 'Mon 09:00-10:00', '--tz', 'Mars/Olympus', '--home', home]);
    assert.match(z.stderr, /IANA time zone/);
    assert.equal((await burrowJson<NodeStatus>(['node', 'status', '--home', home])).mode, 'always-on');
  });
});
