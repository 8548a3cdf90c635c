import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BurrowError } from '../src/shared/errors.js';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { startBurrowServer } from '../bench/lib/burrowStack.js';

const sh = promisify(execFile);

/** Fills a filesystem with one file until it has no room left. */
async function fill(path: string): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const parts: Buffer[] = [];
  for (let i = 0; i < 4096; i++) {
    parts.push(chunk);
    try {
      await writeFile(path, Buffer.concat(parts));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw err;
    }
  }
}

// Issue 10: the server's disk fills up. Writes fail with a clear error (507 STORE_FULL),
// nothing is corrupted, and the server works again once there is room.
describe('a full disk under the server', () => {
  it('answers STORE_FULL in words, keeps the store intact, and recovers when space returns', async (t) => {
    const mountPoint = await mkdtemp(join(tmpdir(), 'burrow-full-'));
    await sh('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint]);
    t.after(async () => {
      await sh('umount', ['-l', mountPoint]).catch(() => undefined);
      await rmdir(mountPoint).catch(() => undefined);
    });
    const server = await startBurrowServer(mountPoint, { sessionPorts: '40000-40100' });
    t.after(() => server.close());
    const creds = JSON.parse(await readFile(join(server.adminHome, 'cli.json'), 'utf8')) as { token: string; pin: string };
    const createToken = () => requestJson<{ id: string }>(`${server.url}/v1/enroll-tokens`, { method: 'POST', body: { uses: 1 }, token: creds.token, pin: creds.pin });
    const made: string[] = [(await createToken()).id];

    const filler = join(mountPoint, 'filler');
    await fill(filler);
    let full: BurrowError | undefined;
    for (let i = 0; i < 200 && !full; i++) {
      try {
        made.push((await createToken()).id);
      } catch (err) {
        if (!(err instanceof BurrowError)) throw err;
        full = err;
      }
    }
    assert.ok(full, 'a write failed once the disk was full');
    assert.equal(full.code, 'STORE_FULL', full.message);
    assert.match(full.message, /disk|space|full/i);

    await rm(filler);
    made.push((await createToken()).id);
    const listed = await requestJson<{ id: string }[]>(`${server.url}/v1/enroll-tokens`, { token: creds.token, pin: creds.pin });
    assert.deepEqual(new Set(listed.map((x) => x.id)), new Set(made), 'every acknowledged write is there, nothing else');
    const verify = await requestJson<{ ok: boolean }>(`${server.url}/v1/audit/verify`, { token: creds.token, pin: creds.pin });
    assert.equal(verify.ok, true);
    const { stdout } = await sh('sqlite3', [join(server.home, 'burrow.db'), 'PRAGMA integrity_check;']);
    assert.equal(stdout.trim(), 'ok');
  });
});
