import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pty from 'node-pty';
import { probePort } from './harness/freePort.js';
import { repoRoot } from './harness/paths.js';
import { makeTempDir } from './harness/tempDir.js';
import { waitFor } from './harness/waitFor.js';

// Issue 17, item 7: Ctrl-C of `make demo` on a terminal. The Makefile's demo recipe is
// `bash scripts/demo.sh` after a build; a Makefile of the same recipe, without the build
// (which would wipe the dist/ these tests run from), is run by make on a real terminal.
describe('make demo, ended with Ctrl-C on a terminal', () => {
  let dir = '';
  let removeDir = async () => {};
  let term: pty.IPty | undefined;
  before(async () => {
    const tmp = await makeTempDir('burrow-e2e-demo-');
    [dir, removeDir] = [tmp.path, tmp.remove];
  });
  after(async () => {
    term?.kill('SIGKILL');
    await removeDir();
  });

  it('stops everything it started, and make exits 0 without an error line', async () => {
    await writeFile(join(dir, 'Makefile'), `demo:\n\tbash ${join(repoRoot, 'scripts', 'demo.sh')}\n`);
    const t = pty.spawn('make', ['-f', join(dir, 'Makefile'), 'demo'], { cwd: dir, cols: 120, rows: 40, env: { ...process.env, BURROW_DEMO_DIR: join(dir, 'demo'), BURROW_HOME: '' } });
    term = t;
    let out = '';
    t.onData((d) => {
      out += d;
    });
    const exited = new Promise<number>((resolve) => t.onExit((e) => resolve(e.signal ? 128 + e.signal : e.exitCode)));
    await waitFor('the demo to be running', () => out.includes('burrow demo is running'), { timeoutMs: 120_000, intervalMs: 200 });
    const port = Number(/Console \/ API:\s+https:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    assert.equal(await probePort(port), 'connected');
    t.write('\x03');
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit after Ctrl-C:\n${out}`)), 30_000).unref());
    const code = await Promise.race([exited, timeout]);
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /make: \*\*\*|Error \d|Interrupt/);
    assert.match(out, /stopped\./);
    assert.equal(await probePort(port), 'ECONNREFUSED', 'the server is gone');
  });
});
