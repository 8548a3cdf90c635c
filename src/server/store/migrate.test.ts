import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BurrowError } from '../../shared/errors.js';
import { Database } from './database.js';
import { loadMigrations, migrate } from './migrate.js';
import { describeEachStore, TestStore } from './testStores.js';

let root = '';
let n = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'burrow-migrate-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder holding the given migration files. */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(root, `m${++n}`);
  await mkdir(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

/** The engine the suite being defined runs on; its tests take fresh, empty databases from it. */
let store = new TestStore('sqlite');

/** A fresh, empty database of the suite's engine. */
function openDb(): Promise<Database> {
  return store.create();
}

async function tableNames(db: Database): Promise<string[]> {
  const sql =
    db.engine === 'postgres'
      ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY name"
      : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
  return (await db.all<{ name: string }>(sql)).map((r) => r.name);
}

async function versions(db: Database): Promise<number[]> {
  return (await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
}

function isMigrationFailed(mention: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof BurrowError, 'throws a BurrowError');
    assert.equal(err.code, 'MIGRATION_FAILED');
    assert.ok(err.message.includes(mention), `message "${err.message}" mentions ${mention}`);
    return true;
  };
}

const first = { '001_a.sql': 'CREATE TABLE a (id INTEGER PRIMARY KEY);' };
const second = { '002_b.sql': 'CREATE TABLE b (a_id INTEGER REFERENCES a(id)); INSERT INTO a (id) VALUES (7);' };

describeEachStore('migrate', (s) => {
  before(() => {
    store = s;
  });

  it('applies migrations in order, once, and records each', async () => {
    const db = await openDb();
    try {
      const migrations = await loadMigrations(await folder({ ...second, ...first, 'README.md': 'not a migration' }));
      assert.deepEqual(migrations.map((m) => m.version), [1, 2]);
      assert.deepEqual(await migrate(db, migrations), ['001_a.sql', '002_b.sql']);
      assert.deepEqual(await tableNames(db), ['a', 'b', 'schema_migrations']);
      const recorded = await db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(recorded, [{ version: 1, name: '001_a.sql' }, { version: 2, name: '002_b.sql' }]);

      assert.deepEqual(await migrate(db, migrations), [], 'second run applies nothing');
      assert.deepEqual(await db.all('SELECT id FROM a'), [{ id: 7 }], '002 ran exactly once');
    } finally {
      await db.close();
    }
  });

  it('applies only the new migration to a database that has the older ones', async () => {
    const db = await openDb();
    try {
      await migrate(db, await loadMigrations(await folder(first)));
      assert.deepEqual(await migrate(db, await loadMigrations(await folder({ ...first, ...second }))), ['002_b.sql']);
      assert.deepEqual(await versions(db), [1, 2]);
    } finally {
      await db.close();
    }
  });

  it('fails a broken migration by name and leaves the database as the previous one left it', async () => {
    const db = await openDb();
    try {
      const dir = await folder({ ...first, '002_broken.sql': 'CREATE TABLE half (x INTEGER);\nCREATE TABLE oops (;', '003_c.sql': 'CREATE TABLE c (x);' });
      await assert.rejects(migrate(db, await loadMigrations(dir)), isMigrationFailed('002_broken.sql'));
      assert.deepEqual(await tableNames(db), ['a', 'schema_migrations'], 'half of 002 and all of 003 are absent');
      assert.deepEqual(await versions(db), [1]);
      // The connection is usable afterwards: no transaction was left open.
      await db.run('INSERT INTO a (id) VALUES (1)');
      assert.deepEqual(await db.all('SELECT id FROM a'), [{ id: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('refuses a gap in the numbering', async () => {
    const dir = await folder({ ...first, '003_c.sql': 'CREATE TABLE c (x);' });
    await assert.rejects(loadMigrations(dir), isMigrationFailed('003_c.sql'));
  });

  it('refuses numbering that does not start at 001', async () => {
    await assert.rejects(loadMigrations(await folder({ '002_b.sql': 'SELECT 1;' })), isMigrationFailed('002_b.sql'));
  });

  it('refuses a database newer than the known migrations, changing nothing', async () => {
    const db = await openDb();
    try {
      await migrate(db, await loadMigrations(await folder({ ...first, ...second })));
      await assert.rejects(migrate(db, await loadMigrations(await folder(first))), isMigrationFailed('version 2'));
      assert.deepEqual(await versions(db), [1, 2]);
    } finally {
      await db.close();
    }
  });

  it('applies the real repository migrations to a WAL database', async () => {
    const db = await openDb();
    try {
      const migrations = await loadMigrations(fileURLToPath(new URL('../../../../migrations', import.meta.url)));
      assert.ok(migrations.length >= 1);
      assert.equal((await migrate(db, migrations)).length, migrations.length);
      assert.deepEqual(await migrate(db, migrations), []);
      if (db.engine === 'sqlite') {
        assert.deepEqual(await db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
        assert.deepEqual(await db.get('PRAGMA foreign_keys'), { foreign_keys: 1 });
      }
      assert.ok((await tableNames(db)).includes('audit_log'));
    } finally {
      await db.close();
    }
  });
});

describeEachStore('Database.transaction', (s) => {
  before(() => {
    store = s;
  });

  it('commits all writes and returns the value on success', async () => {
    const db = await openDb();
    try {
      await db.exec('CREATE TABLE t (v INTEGER)');
      const value = await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)');
        await tx.run('INSERT INTO t VALUES (2)');
        return 'done';
      });
      assert.equal(value, 'done');
      assert.deepEqual(await db.all('SELECT v FROM t ORDER BY v'), [{ v: 1 }, { v: 2 }]);
    } finally {
      await db.close();
    }
  });

  it('rolls back every write when the callback throws, and rethrows', async () => {
    const db = await openDb();
    try {
      await db.exec('CREATE TABLE t (v INTEGER)');
      const boom = new Error('boom');
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES (1)');
          throw boom;
        }),
        (err: unknown) => err === boom,
      );
      assert.deepEqual(await db.all('SELECT v FROM t'), []);
    } finally {
      await db.close();
    }
  });

  it('keeps a plain run issued during an open transaction out of it', async () => {
    const db = await openDb();
    try {
      await db.exec('CREATE TABLE t (v TEXT)');
      const order: string[] = [];
      let txOpen!: () => void;
      const opened = new Promise<void>((resolve) => (txOpen = resolve));
      const tx = db.transaction(async (q) => {
        await q.run("INSERT INTO t VALUES ('tx')");
        txOpen();
        await sleep(30);
        order.push('tx-throws');
        throw new Error('tx fails');
      });
      await opened;
      const plain = db.run("INSERT INTO t VALUES ('plain')").then(() => order.push('plain-done'));
      await assert.rejects(tx, /tx fails/);
      await plain;
      // SQLite queues the plain run behind the transaction; PostgreSQL runs it on another pooled connection.
      if (db.engine === 'sqlite') assert.deepEqual(order, ['tx-throws', 'plain-done']);
      assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 'plain' }]);
    } finally {
      await db.close();
    }
  });
});

describe('Database.open', () => {
  it('reports a path it cannot open as CONFIG_INVALID', async () => {
    await assert.rejects(Database.open(join(root, 'missing-dir', 'x.sqlite')), (err: unknown) => {
      assert.ok(err instanceof BurrowError);
      assert.equal(err.code, 'CONFIG_INVALID');
      return true;
    });
  });

  for (const [what, url, mention] of [
    ['a malformed URL', 'postgres://burrow:s3cret@[::1/burrow', 'is not a URL like postgres://'],
    ['a URL without a database', 'postgres://burrow:s3cret@127.0.0.1:5432/', 'names no database'],
    ['a server that does not answer', 'postgres://burrow:s3cret@127.0.0.1:1/burrow', 'Cannot reach the database postgres://burrow:***@127.0.0.1:1/burrow'],
  ] as const) {
    it(`reports ${what} as CONFIG_INVALID in one sentence, without the password`, async () => {
      await assert.rejects(Database.open(url), (err: unknown) => {
        assert.ok(err instanceof BurrowError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.ok(err.message.includes(mention), err.message);
        assert.ok(!err.message.includes('s3cret'), err.message);
        assert.match(err.message, /^[^\n]+\.$/);
        return true;
      });
    });
  }
});
