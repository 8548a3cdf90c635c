import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BurrowError } from '../../shared/errors.js';
import type { Database } from './database.js';

/** One migration file: `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{3})_([\w-]+)\.sql$/;

/** Reads the migrations of a folder, ordered by number; refuses gaps in the numbering. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => FILE.test(f)).sort();
  const migrations: Migration[] = [];
  for (const [i, file] of files.entries()) {
    const m = FILE.exec(file) as RegExpExecArray;
    const version = Number(m[1]);
    if (version !== i + 1) {
      throw new BurrowError('MIGRATION_FAILED', `Migration ${file} is out of sequence: expected number ${String(i + 1).padStart(3, '0')}.`);
    }
    migrations.push({ version, name: file, sql: await readFile(join(dir, file), 'utf8') });
  }
  return migrations;
}

/**
 * Applies each migration not yet recorded, in order, each in its own transaction with
 * its record, so a failing one leaves the database exactly as the previous one left it
 * (PostgreSQL's DDL is transactional too). Migrations are written for SQLite; the
 * engine's `ddl()` translates the few type and trigger differences for PostgreSQL.
 * Returns the names applied.
 */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  // In a (write-locked) transaction: two servers starting on one PostgreSQL database would race on CREATE.
  await db.transaction((tx) => tx.exec(db.ddl('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')));
  const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const newest = Math.max(0, ...done);
  if (newest > migrations.length) {
    throw new BurrowError('MIGRATION_FAILED', `The database is at schema version ${newest}, newer than this burrow knows (${migrations.length}); run a newer burrow.`);
  }
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    let ran: boolean;
    try {
      ran = await db.transaction(async (tx) => {
        // Another server sharing a PostgreSQL database may have applied it meanwhile.
        if (await tx.get('SELECT 1 FROM schema_migrations WHERE version = ?', [m.version])) return false;
        await tx.exec(db.ddl(m.sql));
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        return true;
      });
    } catch (err) {
      throw new BurrowError('MIGRATION_FAILED', `Migration ${m.name} failed (${(err as Error).message}); the database is unchanged by it.`, { cause: err });
    }
    if (ran) applied.push(m.name);
  }
  return applied;
}
