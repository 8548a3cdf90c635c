import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionView } from '../src/shared/protocol.js';
import { runBurrow } from './harness/burrowCli.js';
import { stackSuite } from './harness/stackSuite.js';

/** Every path under `dir` with its permission bits. */
async function modes(dir: string): Promise<[string, number, boolean][]> {
  const out: [string, number, boolean][] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await lstat(p);
    out.push([p, st.mode & 0o777, st.isDirectory()]);
    if (st.isDirectory()) out.push(...(await modes(p)));
  }
  return out;
}

// Issue 19, item 10: the server's files, and a second server on a running home.
describe('the server home', () => {
  const stack = stackSuite();

  it('refuses a second server start on a running home before it touches anything', async () => {
    const s = stack();
    const session = await s.adminJson<SessionView>(['session', 'open', s.node.id]);
    const second = await runBurrow(['server', 'start', '--home', s.serverHome], { timeoutMs: 20_000 });
    assert.notEqual(second.code, 0, second.stdout);
    const text = second.stderr.trim();
    assert.equal(text.split('\n').length, 1, `one sentence: ${text}`);
    assert.match(text, /already running/i);
    const list = await s.adminJson<SessionView[]>(['session', 'list']);
    const still = list.find((x) => x.id === session.id);
    assert.ok(still, JSON.stringify(list));
    assert.equal(still.closedAt, null, `the live session was closed: ${JSON.stringify(still)}`);
    await s.admin(['session', 'close', session.id]);
  });

  it('keeps every file 0600 and every directory 0700, the database and its WAL included', async () => {
    const s = stack();
    // Some writes after start, so the WAL and shared-memory files exist.
    await s.adminJson(['enroll-token', 'create']);
    const all = await modes(s.serverHome);
    const names = all.map(([p]) => p.slice(s.serverHome.length + 1));
    for (const f of ['burrow.db', 'burrow.db-wal', 'burrow.db-shm', 'secret.key', 'server.json']) assert.ok(names.includes(f), `${f} in ${names.join(', ')}`);
    const loose = all.filter(([, mode, dir]) => mode !== (dir ? 0o700 : 0o600)).map(([p, mode]) => `${p} ${mode.toString(8)}`);
    assert.deepEqual(loose, []);
    assert.equal((await lstat(s.serverHome)).mode & 0o777, 0o700);
  });
});
