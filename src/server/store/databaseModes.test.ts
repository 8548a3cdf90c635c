import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

// Issue 19, item 10: the database is private whatever the umask of whoever opens it.
describe('database file modes', () => {
  let dir = '';
  after(() => rm(dir, { recursive: true, force: true }));

  it('makes the database, its WAL and shared-memory files 0600, also ones created later or left 0644', async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-dbmode-'));
    const path = join(dir, 'burrow.db');
    const old = process.umask(0o022);
    try {
      // Left by an older version: a 0644 WAL file beside the database.
      await writeFile(`${path}-wal`, '', { mode: 0o644 });
      const db = await Database.open(path);
      await db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
      for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(await mode(f), 0o600, f);
      await db.close();
      await rm(`${path}-wal`, { force: true });
      await rm(`${path}-shm`, { force: true });
      // WAL and SHM created afresh by SQLite take the database file's mode.
      const again = await Database.open(path);
      await again.exec('INSERT INTO t VALUES (2);');
      for (const f of [`${path}-wal`, `${path}-shm`]) assert.equal(await mode(f), 0o600, f);
      await again.close();
    } finally {
      process.umask(old);
    }
  });
});
