import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pty from 'node-pty';
import { burrowBin, repoRoot } from './harness/paths.js';
import { ShellStack, type StackNode } from './harness/shellStack.js';

/** Collects a pty's output and waits for text to appear in it. */
function screen(p: pty.IPty) {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  p.onData((d) => {
    text += d;
    for (const w of [...waiters]) if (w.re.test(text)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    get text() {
      return text;
    },
    waitFor(re: RegExp, ms = 15_000): Promise<void> {
      if (re.test(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; screen:\n${text.slice(-1500)}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

describe('remote shell: burrow ssh through the server to the node (real processes)', () => {
  let stack: ShellStack;
  let n1: StackNode;
  let pinned: StackNode;
  let closed: StackNode;
  before(async () => {
    stack = await ShellStack.start();
    n1 = await stack.addNode('n1');
    pinned = await stack.addNode('pinned', [['shell', 'on', '--user', 'nobody']]);
    closed = await stack.addNode('closed', [['shell', 'off']]);
    await Promise.all([n1.start(), pinned.start(), closed.start(['jobs'])]);
  });
  after(async () => {
    await stack?.close();
  });

  it('runs one command and returns its exit code, stdout and stderr apart', async () => {
    const r = await stack.cli(['ssh', 'n1', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, r.stderr);
    const io = await stack.cli(['ssh', 'n1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 0']);
    assert.equal(io.code, 0, io.stderr);
    assert.equal(io.stdout, 'out\n');
    assert.equal(io.stderr, 'err\n');
    // node.json's shell.home (set by the test harness): the shell starts there and calls it HOME.
    const home = await stack.cli(['ssh', 'n1', '--', 'sh', '-c', 'echo "$HOME"; pwd']);
    assert.match(home.stdout, /^(\/\S+\/shell-home)\n\1\n$/);
  });

  it('feeds stdin to the command and closes it at the end', async () => {
    const r = await stack.cli(['ssh', 'n1', '--', 'wc -c']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
  });

  it('gives an interactive shell with a sized pty that follows resizes, and records it', async () => {
    const p = pty.spawn(burrowBin, ['ssh', 'n1', '--home', stack.adminHome], { cols: 100, rows: 30, cwd: repoRoot, env: { ...process.env, TERM: 'xterm' } as Record<string, string> });
    const s = screen(p);
    const exited = new Promise<number>((resolve) => p.onExit((e) => resolve(e.exitCode)));
    p.write('echo HELLO-$((6*7))\r');
    await s.waitFor(/HELLO-42/);
    p.write('stty size\r');
    await s.waitFor(/30 100/);
    p.resize(120, 40);
    // The resize travels as a control message; ask until the pty on the node reflects it.
    for (let i = 0; i < 50 && !/40 120/.test(s.text); i++) {
      p.write('stty size\r');
      await new Promise((r) => setTimeout(r, 100));
    }
    await s.waitFor(/40 120/);
    p.write('exit 7\r');
    assert.equal(await exited, 7);

    const audit = JSON.parse((await stack.cli(['admin', 'audit', '--action', 'shell.', '--json'])).stdout) as { action: string; detail: { recording: string | null; durationMs?: number; exitCode?: number } }[];
    const close = audit.find((e) => e.action === 'shell.close' && e.detail.exitCode === 7);
    assert.ok(close, JSON.stringify(audit));
    assert.ok(typeof close.detail.durationMs === 'number');
    const id = close.detail.recording;
    assert.ok(id, 'the session was recorded');
    const cast = await stack.cli(['admin', 'recording', 'get', id]);
    assert.equal(cast.code, 0, cast.stderr);
    const [header, ...events] = cast.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual([(header as { version: number }).version, (header as { width: number }).width, (header as { height: number }).height], [2, 100, 30]);
    const output = (events as [number, string, string][]).filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    assert.match(output, /HELLO-42/);
    assert.match(output, /40 120/);
    assert.ok((events as [number, string, string][]).some((e) => e[1] === 'r' && e[2] === '120x40'), 'the resize is in the transcript');
    const play = await stack.cli(['admin', 'recording', 'get', id, '--play']);
    assert.match(play.stdout, /HELLO-42/);
  });

  it('does not record when the group switched recording off', async () => {
    assert.equal((await stack.cli(['admin', 'groups', 'set', 'root', '--record-shell', 'off'])).code, 0);
    try {
      assert.equal((await stack.cli(['ssh', 'n1', '--', 'true'])).code, 0);
      const audit = JSON.parse((await stack.cli(['admin', 'audit', '--action', 'shell.open', '--limit', '1', '--json'])).stdout) as { detail: { recording: string | null } }[];
      assert.equal(audit[0]?.detail.recording, null);
    } finally {
      await stack.cli(['admin', 'groups', 'set', 'root', '--record-shell', 'on']);
    }
  });

  it('runs the shell as the user the node operator pinned it to', async () => {
    const r = await stack.cli(['ssh', 'pinned', '--', 'id -un']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'nobody');
  });

  it('says so clearly when the node operator turned the shell off', async () => {
    const r = await stack.cli(['ssh', 'closed', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^burrow: The shell is turned off on node closed/);
    const missing = await stack.cli(['ssh', 'nosuchnode', '--', 'true']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /No node nosuchnode/);
  });
});
