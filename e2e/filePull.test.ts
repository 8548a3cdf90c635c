import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ShellStack, type StackNode } from './harness/shellStack.js';
import { makeTempDir } from './harness/tempDir.js';
import { waitFor } from './harness/waitFor.js';

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface AuditRow {
  action: string;
  result: string;
  detail: { path?: string; bytes?: number; sha256?: string; error?: string } | null;
}

describe('file pull and support bundles from a node (real server, agent and tunnel)', () => {
  let stack: ShellStack;
  let n1: StackNode;
  let closed: StackNode;
  let dir: { path: string; remove(): Promise<void> };
  let logs: string;
  let big: Buffer;
  before(async () => {
    dir = await makeTempDir('burrow-e2e-files-');
    logs = join(dir.path, 'logs');
    await mkdir(logs);
    await mkdir(join(dir.path, 'secret'));
    big = randomBytes(50 * 1024 * 1024);
    await writeFile(join(logs, 'app.log'), big);
    await writeFile(join(logs, 'small.log'), 'line one\nline two\n');
    await writeFile(join(dir.path, 'secret', 'key.pem'), 'not for the server\n');
    // A symlink inside the allowed directory that leads out of it.
    await symlink(join(dir.path, 'secret', 'key.pem'), join(logs, 'escape.log'));
    stack = await ShellStack.start();
    n1 = await stack.addNode('n1', [['files', 'allow', logs, '--max-size', '100M'], ['files', 'logs', join(logs, 'small.log'), join(logs, 'missing.log')]]);
    closed = await stack.addNode('closed');
    await Promise.all([n1.start(['files', 'shell']), closed.start(['shell'])]);
  });
  after(async () => {
    await stack?.close();
    await dir?.remove();
  });

  const audit = async (action: string): Promise<AuditRow[]> => JSON.parse((await stack.cli(['admin', 'audit', '--json', '--action', action, '--limit', '20'])).stdout) as AuditRow[];

  it('pulls a 50 MiB file byte-identical, and audits its size and SHA-256', async () => {
    const to = join(dir.path, 'pulled.log');
    const r = await stack.cli(['admin', 'file', 'get', `n1:${join(logs, 'app.log')}`, '--to', to]);
    assert.equal(r.code, 0, r.stderr);
    const got = await readFile(to);
    assert.equal(got.length, big.length);
    assert.equal(sha256(got), sha256(big));
    assert.match(r.stdout, new RegExp(`sha256 ${sha256(big)}`));
    // The entry is written when the stream has ended on the server, just after the CLI saw its last byte.
    const entry = await waitFor('the pull to be audited', async () => (await audit('node.file.get')).find((e) => e.detail?.path === join(logs, 'app.log') && e.result === 'ok'), { timeoutMs: 10_000 });
    assert.equal(entry.detail?.bytes, big.length);
    assert.equal(entry.detail?.sha256, sha256(big));
  });

  it('never overwrites a file already in the current directory, unless told to with --to', async () => {
    const cwd = join(dir.path, 'cwd');
    await mkdir(cwd);
    await writeFile(join(cwd, 'small.log'), 'mine\n');
    const r = await stack.cli(['admin', 'file', 'get', `n1:${join(logs, 'small.log')}`], cwd);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /small\.log exists in the current directory; remove it or choose another name with --to/);
    assert.equal(await readFile(join(cwd, 'small.log'), 'utf8'), 'mine\n', 'the existing file is untouched');
    assert.deepEqual(await readdir(cwd), ['small.log'], 'no partial file left behind');
    const told = await stack.cli(['admin', 'file', 'get', `n1:${join(logs, 'small.log')}`, '--to', 'small.log'], cwd);
    assert.equal(told.code, 0, told.stderr);
    assert.equal(await readFile(join(cwd, 'small.log'), 'utf8'), 'line one\nline two\n');
  });

  it('saves a file whose name holds terminal control characters under a tame name, and says so', async () => {
    // A local user on the node names a file to take over the terminal of whoever pulls it.
    const hostile = 'title\u001b]0;owned\u0007\u001b[2J\nnext.log';
    await writeFile(join(logs, hostile), 'payload\n');
    const cwd = join(dir.path, 'cwd-control');
    await mkdir(cwd);
    const r = await stack.cli(['admin', 'file', 'get', `n1:${join(logs, hostile)}`], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readdir(cwd), ['title_]0;owned__[2J_next.log']);
    assert.match(r.stdout, /saved as title_\]0;owned__\[2J_next\.log: /);
  });

  it('saves a file under the name asked for, not one the node chose', async () => {
    // The node resolves links and names what it sends by the target; a hostile node may name
    // it anything (Makefile, conftest.py). What lands in the admin's directory is what they asked for.
    await symlink(join(logs, 'small.log'), join(logs, 'current.log'));
    const cwd = join(dir.path, 'cwd-asked');
    await mkdir(cwd);
    const r = await stack.cli(['admin', 'file', 'get', `n1:${join(logs, 'current.log')}`], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readdir(cwd), ['current.log']);
    assert.equal(await readFile(join(cwd, 'current.log'), 'utf8'), 'line one\nline two\n');
  });

  it('refuses a path outside the allowed directories, and a symlink leading out of them, saving nothing', async () => {
    for (const path of [join(dir.path, 'secret', 'key.pem'), join(logs, 'escape.log')]) {
      const to = join(dir.path, 'refused.out');
      const r = await stack.cli(['admin', 'file', 'get', `n1:${path}`, '--to', to]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Node n1 refused: .* is outside the directories this node allows/);
      await assert.rejects(stat(to), 'nothing saved');
    }
    const denied = (await audit('node.file.get')).filter((e) => e.result === 'denied');
    assert.ok(denied.some((e) => e.detail?.path === join(logs, 'escape.log')), 'the refusal is audited');
  });

  it('applies a revocation to the next pull without restarting the agent', async () => {
    assert.equal((await stack.cli(['node', 'files', 'revoke', logs, '--home', n1.home])).code, 0);
    const r = await stack.cli(['admin', 'file', 'get', `n1:${join(logs, 'small.log')}`, '--to', join(dir.path, 'after-revoke.log')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /File pull is off on this node/);
    assert.equal((await stack.cli(['node', 'files', 'allow', logs, '--home', n1.home])).code, 0);
    assert.equal((await stack.cli(['admin', 'file', 'get', `n1:${join(logs, 'small.log')}`, '--to', join(dir.path, 'after-allow.log')])).code, 0);
  });

  it('makes a support bundle: status, system facts and the listed logs, one tar.gz', async () => {
    const to = join(dir.path, 'bundle.tar.gz');
    const r = await stack.cli(['admin', 'node', 'bundle', 'n1', '--to', to]);
    assert.equal(r.code, 0, r.stderr);
    const listing = (await run('tar', ['-tzf', to])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, ['logs/missing.log.unreadable.txt', 'logs/small.log', 'status.json', 'system.json']);
    const small = (await run('tar', ['-xzOf', to, 'logs/small.log'])).stdout;
    assert.equal(small, 'line one\nline two\n');
    const system = JSON.parse((await run('tar', ['-xzOf', to, 'system.json'])).stdout) as { node: { name: string } };
    assert.equal(system.node.name, 'n1');
    await waitFor('the bundle to be audited', async () => (await audit('node.bundle')).some((e) => e.result === 'ok' && typeof e.detail?.sha256 === 'string'), { timeoutMs: 10_000 });
  });

  it('says how to turn file pull on when the node offers none', async () => {
    const r = await stack.cli(['admin', 'file', 'get', 'closed:/etc/hostname']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /File pull is off on node closed; its operator can allow a directory with "burrow node files allow DIR"/);
  });
});
