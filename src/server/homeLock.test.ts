import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockHolder, lockHome } from './homeLock.js';

/** A live process that is no burrow server: what a crashed server's pid may have become. */
let other: ChildProcess;
let home: string;

/** Writes a lock naming `pid`, as if written `agoMs` ago (negative: in the future). */
async function lockFor(pid: number, agoMs: number): Promise<void> {
  const path = join(home, 'server.lock');
  await writeFile(path, `${pid}\n`);
  const at = new Date(Date.now() - agoMs);
  await utimes(path, at, at);
}

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'burrow-lock-'));
  other = spawn('sleep', ['60'], { stdio: 'ignore' });
  await once(other, 'spawn');
});

after(async () => {
  other.kill('SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe('the home lock', { skip: !existsSync('/proc/self/stat') && 'needs /proc to tell when a process started' }, () => {
  it('names the process that held the lock since before it was written', async () => {
    await lockFor(other.pid as number, -60_000);
    assert.equal(await lockHolder(home), other.pid);
    await assert.rejects(lockHome(home), /already running/);
  });

  it('takes a lock whose pid now belongs to a process started after it was written (a crashed server, its pid reused)', async () => {
    // `server cert set` sends the holder SIGHUP: sent to a reused pid, it would kill an unrelated process.
    await lockFor(other.pid as number, 60_000);
    assert.equal(await lockHolder(home), undefined);
    const lock = await lockHome(home);
    await lock.release();
    assert.equal(other.exitCode, null, 'the other process is left alone');
  });
});
