import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
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
import type { BackupManifest } from './backupFormat.js';
import { readBackupFile } from './backupReader.js';

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
 * holds the home's lock. Everything is checked before the home is touched: the backup is
 * streamed into a staging directory beside the home, checking each file's hash and at the
 * end the tag or checksum, then SQLite's integrity check. The restored database is
 * migrated and records the restore as its next audit entry; only then do the files move
 * into the home, 0600 files in 0700 directories.
 */
export async function restoreServer(o: RestoreOptions): Promise<RestoreResult> {
  const homeExisted = await exists(o.home);
  const lock: HomeLock | undefined = homeExisted ? await lockHome(o.home) : undefined;
  try {
    if (homeExisted) {
      const present = (await readdir(o.home)).filter((n) => n !== 'server.lock');
      if (present.length && !o.force) throw new BurrowError('CONFLICT', `${o.home} is not empty; restore into a new or empty directory, or pass --force to replace what it holds.`);
    }
    const { dir: staged, manifest } = await stage(o);
    try {
      await moveInto(staged, o.home, homeExisted);
    } catch (err) {
      await rm(staged, { recursive: true, force: true });
      throw err;
    }
    return { home: o.home, files: manifest.files.length, createdAt: manifest.createdAt, database: manifest.database !== null };
  } finally {
    await lock?.release();
  }
}

/** Checks a manifest before any of its files is written. */
function checkManifest(o: RestoreOptions, m: BackupManifest): void {
  // The server opens its database by one name only; a backup naming another would restore a home without it.
  const database = basename(serverPaths(o.home).database);
  if (m.database !== null && m.database !== database) {
    throw new BurrowError('VALIDATION', `The backup ${o.from} names its database ${m.database}, not ${database}; nothing was restored.`);
  }
  // Only the restoring process holds the lock; a backup naming it is crafted.
  if (m.files.some((f) => f.path === 'server.lock')) throw new BurrowError('VALIDATION', `The backup ${o.from} holds a server.lock file, which no burrow backup does; nothing was restored.`);
}

/** Streams the backup into a private directory next to the home and readies its database; removed again on failure. */
async function stage(o: RestoreOptions): Promise<{ dir: string; manifest: BackupManifest }> {
  const parent = dirname(o.home);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(parent, `.${basename(o.home)}.restore-`));
  try {
    await chmod(dir, 0o700);
    const manifest = await readBackupFile(o.from, o.passphrase, {
      manifest: (m) => checkManifest(o, m),
      file: async (path) => {
        const full = join(dir, path);
        await mkdir(dirname(full), { recursive: true, mode: 0o700 });
        return createWriteStream(full, { flags: 'wx', mode: 0o600 });
      },
    });
    if (manifest.database !== null) await readyDatabase(o, dir, join(dir, manifest.database), manifest.createdAt);
    return { dir, manifest };
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
