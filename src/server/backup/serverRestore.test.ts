import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { writeFileAtomic } from '../../shared/secureFiles.js';
import { Database } from '../store/database.js';
import type { BackupFile } from './backupFormat.js';
import { sealBackup } from './backupWriter.js';
import { restoreServer } from './serverRestore.js';

/** A real SQLite file with enough rows to span many pages. */
async function sqliteFile(dir: string, name: string): Promise<Buffer> {
  const path = join(dir, `source.db.${name}`);
  const db = await Database.open(path);
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 2000; i++) await tx.run('INSERT INTO t (v) VALUES (?)', [`row ${i} ${'x'.repeat(100)}`]);
  });
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.close();
  return readFile(path);
}

describe('server restore', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-restore-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Restores a backup of `files` into `<dir>/home`, unencrypted. */
  async function restore(files: BackupFile[], name: string): Promise<unknown> {
    const from = join(dir, `${name}.backup`);
    await writeFileAtomic(from, await sealBackup({ createdAt: '2026-01-01T00:00:00.000Z', sourceHome: '/srv/burrow', database: 'burrow.db' }, files, null));
    return restoreServer({ from, home: join(dir, 'home'), passphrase: () => Promise.reject(new Error('not encrypted')), force: false, clock: new FakeClock(0) }).catch((err: unknown) => err);
  }

  /** What is left in the temp dir besides the sources and backups: nothing, after a refused restore. */
  async function leftovers(): Promise<string[]> {
    return (await readdir(dir)).filter((n) => !n.endsWith('.backup') && !n.startsWith('source.db'));
  }

  it('refuses a database that fails SQLite\'s integrity check, and writes nothing', async () => {
    const good = await sqliteFile(dir, 'corrupt');
    const corrupt = Buffer.from(good);
    // Scribble over the middle of the file: b-tree pages of the table and its index.
    corrupt.fill(0x5a, 4096 * 5 + 8, 4096 * 5 + 2000);
    for (const [name, db] of [['not-sqlite', Buffer.from('not a database at all, just bytes'.repeat(200))], ['corrupt', corrupt]] as const) {
      const err = await restore([{ path: 'secret.key', data: Buffer.from('k') }, { path: 'burrow.db', data: db }], name);
      assert.ok(err instanceof BurrowError && err.code === 'VALIDATION', `${name}: ${String(err)}`);
      assert.match(err.message, /fails SQLite's integrity check .*nothing was restored\.$/, name);
      assert.deepEqual(await leftovers(), [], name);
    }
  });

  it('refuses a backup that carries a server lock', async () => {
    const err = await restore([{ path: 'server.lock', data: Buffer.from('1\n') }, { path: 'burrow.db', data: await sqliteFile(dir, 'lock') }], 'lock');
    assert.ok(err instanceof BurrowError && /server\.lock/.test(err.message), String(err));
    assert.deepEqual(await leftovers(), []);
  });
});
