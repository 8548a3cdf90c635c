import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { exists } from '../../shared/secureFiles.js';
import { loadAuditKeys } from '../audit/auditKeys.js';
import { recordAudit } from '../store/auditStore.js';
import { Database } from '../store/database.js';
import { integrityProblems } from '../store/databaseSnapshot.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { lockHome, type HomeLock } from '../homeLock.js';
import { MIGRATIONS_DIR, serverPaths } from '../serverHome.js';
import { backupIsEncrypted, openBackup, type BackupContents } from './backupFormat.js';

/** What `burrow server restore` is asked to do. */
export interface RestoreOptions {
  from: string;
  home: string;
  /** Asked only when the backup is encrypted. */
  passphrase: () => Promise<string>;
  /** Replace what a non-empty home holds. */
  force: boolean;
  clock: Clock;
}

/** What a restore put in place. */
export interface RestoreResult {
  home: string;
  files: number;
  /** When the backup was taken. */
  createdAt: string;
  /** Whether the backup held the database (false: secrets only, the database comes from pg_dump). */
  database: boolean;
}

/**
 * Restores a backup into a new or empty home (any home with `force`), never while a server
 * holds the home's lock. Everything is checked before the home is touched: the backup's tag
 * or checksum and each file's hash, then, in a staging directory beside the home, SQLite's
 * integrity check. The restored database is migrated and records the restore as its next
 * audit entry; only then do the files move into the home, 0600 files in 0700 directories.
 */
export async function restoreServer(o: RestoreOptions): Promise<RestoreResult> {
  const file = await readFile(o.from).catch((err: NodeJS.ErrnoException) => {
    throw new BurrowError('VALIDATION', `Cannot read the backup ${o.from}: ${err.code ?? err.message}.`);
  });
  const contents = openBackup(file, o.from, backupIsEncrypted(file, o.from) ? await o.passphrase() : null);
  // The server opens its database by one name only; a backup naming another would restore a home without it.
  if (contents.manifest.database !== null && contents.manifest.database !== basename(serverPaths(o.home).database)) {
    throw new BurrowError('VALIDATION', `The backup ${o.from} names its database ${contents.manifest.database}, not ${basename(serverPaths(o.home).database)}; nothing was restored.`);
  }
  const homeExisted = await exists(o.home);
  const lock: HomeLock | undefined = homeExisted ? await lockHome(o.home) : undefined;
  try {
    if (homeExisted) {
      const present = (await readdir(o.home)).filter((n) => n !== 'server.lock');
      if (present.length && !o.force) throw new BurrowError('CONFLICT', `${o.home} is not empty; restore into a new or empty directory, or pass --force to replace what it holds.`);
    }
    const staged = await stage(o, contents);
    try {
      await moveInto(staged, o.home, homeExisted);
    } catch (err) {
      await rm(staged, { recursive: true, force: true });
      throw err;
    }
  } finally {
    await lock?.release();
  }
  return { home: o.home, files: contents.files.length, createdAt: contents.manifest.createdAt, database: contents.manifest.database !== null };
}

/** Writes the backup into a private directory next to the home and readies its database; removed again on failure. */
async function stage(o: RestoreOptions, contents: BackupContents): Promise<string> {
  const parent = dirname(o.home);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(parent, `.${basename(o.home)}.restore-`));
  try {
    await chmod(dir, 0o700);
    for (const f of contents.files) {
      // Only the restoring process holds the lock; a backup naming it is crafted.
      if (f.path === 'server.lock') throw new BurrowError('VALIDATION', `The backup ${o.from} holds a server.lock file, which no burrow backup does; nothing was restored.`);
      const path = join(dir, f.path);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, f.data, { mode: 0o600 });
      await chmod(path, 0o600);
    }
    if (contents.manifest.database !== null) await readyDatabase(o, dir, join(dir, contents.manifest.database), contents.manifest.createdAt);
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function readyDatabase(o: RestoreOptions, dir: string, path: string, createdAt: string): Promise<void> {
  const unsound = (why: string) => new BurrowError('VALIDATION', `The database in the backup ${o.from} fails SQLite's integrity check (${why}); nothing was restored.`);
  const db = await Database.open(path).catch((err: Error) => {
    throw unsound(err.message);
  });
  try {
    const problems = await integrityProblems(db).catch((err: Error) => [err.message]);
    if (problems.length) throw unsound(problems[0] ?? 'unknown');
    await migrate(db, await loadMigrations(MIGRATIONS_DIR));
    db.sealAuditWith((await loadAuditKeys(dir)).macKey);
    await recordAudit(db, { actor: 'system', action: 'server.restore', result: 'ok', detail: { from: o.from, backupCreatedAt: createdAt } }, o.clock.now());
  } finally {
    await db.close();
  }
}

/** Puts the staged files in place: the staging directory becomes the home, or its entries replace the home's. */
async function moveInto(staged: string, home: string, homeExisted: boolean): Promise<void> {
  if (!homeExisted) {
    await rename(staged, home);
    return;
  }
  for (const name of await readdir(home)) {
    if (name !== 'server.lock') await rm(join(home, name), { recursive: true, force: true });
  }
  for (const name of await readdir(staged)) await rename(join(staged, name), join(home, name));
  await rmdir(staged);
  await chmod(home, 0o700);
}
