import { mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { exists } from '../../shared/secureFiles.js';
import { loadAuditKeys } from '../audit/auditKeys.js';
import { recordAudit } from '../store/auditStore.js';
import { Database } from '../store/database.js';
import { snapshotDatabase } from '../store/databaseSnapshot.js';
import { serverPaths } from '../serverHome.js';
import { writeBackupFile } from './backupWriter.js';
import { listHomeFiles } from './homeFiles.js';

/** What `burrow server backup` is asked to do. */
export interface BackupOptions {
  home: string;
  to: string;
  /** Asked once the home is known to hold a server; null writes the backup unencrypted. */
  passphrase: () => Promise<string | null>;
  /** Leave out the database and recordings (a PostgreSQL store is backed up with pg_dump). */
  secretsOnly: boolean;
  clock: Clock;
}

/** What a backup wrote. */
export interface BackupResult {
  file: string;
  files: number;
  bytes: number;
  encrypted: boolean;
  database: boolean;
}

/** Where the database snapshot sits among a backup's files: where the server looks for it. */
const DATABASE_ENTRY = basename(serverPaths('').database);

/**
 * Backs a server home up into one file, written atomically with mode 0600, whether or not
 * the server runs (its lock is left alone). The files are read before the database is
 * snapshotted, so the audit checkpoints in the backup never cover entries the snapshot
 * lacks. The backup is recorded in the home's own audit log, done or failed.
 */
export async function backupServer(o: BackupOptions): Promise<BackupResult> {
  const paths = serverPaths(o.home);
  if (!(await exists(paths.config))) throw new BurrowError('NOT_INITIALIZED', `${o.home} holds no burrow server (no server.json); nothing to back up.`);
  const inside = relative(o.home, o.to);
  if (!inside.startsWith('..') && !isAbsolute(inside)) throw new BurrowError('VALIDATION', `Write the backup outside the server home ${o.home}; inside, each backup would carry the ones before it.`);
  if (!(await exists(dirname(o.to)))) throw new BurrowError('VALIDATION', `The directory ${dirname(o.to)} for the backup does not exist.`);
  const hasDatabase = await exists(paths.database);
  if (!hasDatabase && !o.secretsOnly) {
    throw new BurrowError('VALIDATION', `${o.home} holds no SQLite database; back a PostgreSQL store up with pg_dump, and this home with --secrets-only.`);
  }
  const passphrase = await o.passphrase();
  const db = hasDatabase ? await Database.open(paths.database) : undefined;
  try {
    if (db) db.sealAuditWith((await loadAuditKeys(o.home)).macKey);
    const detail = { file: o.to, encrypted: passphrase !== null, secretsOnly: o.secretsOnly };
    const snapshotDir = db && !o.secretsOnly ? await mkdtemp(join(dirname(o.to), '.burrow-backup-')) : undefined;
    try {
      const files = await listHomeFiles(o.home, { secretsOnly: o.secretsOnly });
      if (db && snapshotDir) files.push({ path: DATABASE_ENTRY, file: await snapshot(db, snapshotDir) });
      const manifest = { createdAt: new Date(o.clock.now()).toISOString(), sourceHome: o.home, database: snapshotDir ? DATABASE_ENTRY : null };
      const bytes = await writeBackupFile(o.to, manifest, files, passphrase);
      if (db) await recordAudit(db, { actor: 'system', action: 'server.backup', result: 'ok', detail: { ...detail, files: files.length, bytes } }, o.clock.now());
      return { file: o.to, files: files.length, bytes, encrypted: passphrase !== null, database: !o.secretsOnly && hasDatabase };
    } catch (err) {
      if (db) await recordAudit(db, { actor: 'system', action: 'server.backup', result: 'failed', detail: { ...detail, error: (err as Error).message } }, o.clock.now()).catch(() => undefined);
      throw err;
    } finally {
      if (snapshotDir) await rm(snapshotDir, { recursive: true, force: true });
    }
  } finally {
    await db?.close();
  }
}

/** A consistent copy of the database in `dir` (next to the backup file, removed once it is written); its path. */
async function snapshot(db: Database, dir: string): Promise<string> {
  const file = join(dir, DATABASE_ENTRY);
  await snapshotDatabase(db, file);
  return file;
}
