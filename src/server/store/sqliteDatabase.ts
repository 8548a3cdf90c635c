import { chmod } from 'node:fs/promises';
import sqlite3 from 'sqlite3';
import { BurrowError } from '../../shared/errors.js';
import { storeError, type Database, type DedicatedConnection, type Queryable, type RunResult, type SqlValue } from './database.js';

function direct(db: sqlite3.Database): Queryable {
  return {
    run: (sql, params = []) =>
      new Promise((resolve, reject) => {
        db.run(sql, params as SqlValue[], function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(storeError(err));
          else resolve({ changes: this.changes });
        });
      }),
    get: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T | undefined>((resolve, reject) => {
        db.get(sql, params as SqlValue[], (err: Error | null, row: T | undefined) => (err ? reject(storeError(err)) : resolve(row)));
      }),
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T[]>((resolve, reject) => {
        db.all(sql, params as SqlValue[], (err: Error | null, rows: T[]) => (err ? reject(storeError(err)) : resolve(rows)));
      }),
    exec: (sql) => new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(storeError(err)) : resolve()))),
  };
}

/**
 * One SQLite connection in WAL mode. sqlite3 runs statements of one connection in order,
 * but a transaction spans several awaits, so every use goes through one queue: a
 * statement never lands inside someone else's open transaction.
 */
export class SqliteDatabase implements Database {
  readonly engine = 'sqlite';
  private queue: Promise<unknown> = Promise.resolve();
  private readonly q: Queryable;
  private macKey: Buffer | undefined;

  private constructor(private readonly db: sqlite3.Database) {
    // Transactions hand out `q`, so it reads the MAC key from here rather than holding a copy.
    const macKey = () => this.macKey;
    this.q = {
      ...direct(db),
      get auditMacKey() {
        return macKey();
      },
    };
  }

  /** The key audit entries written through this connection are sealed with. */
  get auditMacKey(): Buffer | undefined {
    return this.macKey;
  }

  /** Seals every audit entry written from now on with a MAC under `key`. */
  sealAuditWith(key: Buffer): void {
    this.macKey = key;
  }

  /** Opens (creating if needed) the database file and sets the pragmas burrow relies on. */
  static async open(path: string): Promise<SqliteDatabase> {
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(d)));
    }).catch((err: unknown) => {
      throw new BurrowError('CONFIG_INVALID', `Cannot open the database ${path}: ${(err as Error).message}.`, { cause: err });
    });
    const db = new SqliteDatabase(raw);
    // Private, whatever the umask: SQLite gives the WAL and shared-memory files it creates
    // later the database file's mode, and ones left by an older version are fixed here.
    for (const f of [path, `${path}-wal`, `${path}-shm`]) await chmod(f, 0o600).catch(() => undefined);
    await db.q.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
    return db;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.locked(() => this.q.run(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.locked(() => this.q.get<T>(sql, params));
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.locked(() => this.q.all<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.locked(() => this.q.exec(sql));
  }

  /** Migrations are written for SQLite: they run as they are. */
  ddl(sql: string): string {
    return sql;
  }

  /** Runs `fn` in one transaction: all of its writes land, or none do. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      await this.q.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(this.q);
        await this.q.exec('COMMIT');
        return value;
      } catch (err) {
        await this.q.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** One process, one connection: statements wait only for those queued before them, so this database serves. */
  dedicated(): DedicatedConnection {
    const macKey = () => this.macKey;
    return {
      run: (sql, params) => this.run(sql, params),
      get: <T>(sql: string, params?: readonly SqlValue[]) => this.get<T>(sql, params),
      all: <T>(sql: string, params?: readonly SqlValue[]) => this.all<T>(sql, params),
      exec: (sql) => this.exec(sql),
      get auditMacKey() {
        return macKey();
      },
      close: () => Promise.resolve(),
    };
  }

  /** Closes the connection after queued statements finish. */
  close(): Promise<void> {
    return this.locked(() => new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve()))));
  }
}
