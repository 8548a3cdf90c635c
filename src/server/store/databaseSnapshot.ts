import type { Database } from './database.js';

/**
 * Writes a consistent copy of the database to `to` (which must not exist) with `VACUUM
 * INTO`: it reads inside one transaction, so in WAL mode the running server keeps writing
 * meanwhile and the copy is the database as of one instant, compacted, without its WAL.
 */
export async function snapshotDatabase(db: Database, to: string): Promise<void> {
  await db.run('VACUUM INTO ?', [to]);
}

/** SQLite's own check of a database file: an empty list when it is sound, else what is wrong. */
export async function integrityProblems(db: Database): Promise<string[]> {
  const rows = await db.all<{ integrity_check: string }>('PRAGMA integrity_check(10)');
  // SQLite prefixes its findings with a "*** in database main ***" line; the findings are what say something.
  return rows.flatMap((r) => r.integrity_check.split('\n')).filter((m) => m !== 'ok' && !m.startsWith('***'));
}
