import { BurrowError } from '../../shared/errors.js';

/** A bound parameter value. */
export type SqlValue = string | number | bigint | Buffer | null;

/** What a statement reports after it ran. */
export interface RunResult {
  /** Rows the statement inserted, changed or deleted. */
  changes: number;
}

/**
 * The statements every store uses; both the database and an open transaction offer them.
 * SQL is written once, with `?` placeholders, in the subset both engines share; each
 * engine translates what little differs (see sqlText.ts).
 */
export interface Queryable {
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  /** The key that seals audit entries with a MAC (kept outside the database); unset, entries are chained only. */
  readonly auditMacKey?: Buffer;
}

/** The engines a store can run on. */
export type StoreEngine = 'sqlite' | 'postgres';

/**
 * A store connection: SQLite (one file, the embedded default) or PostgreSQL (a pool).
 * On both, write transactions exclude each other, so a transaction's reads and writes
 * (the audit chain's head, a token's uses) see no interleaved writer.
 */
export interface Database extends Queryable {
  readonly engine: StoreEngine;
  /** Seals every audit entry written from now on with a MAC under `key`. */
  sealAuditWith(key: Buffer): void;
  /** Runs `fn` in one transaction: all of its writes land, or none do. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** A migration's schema text as this engine runs it (migrations are written for SQLite). */
  ddl(sql: string): string;
  /** Closes the connection(s) after queued statements finish. */
  close(): Promise<void>;
  /**
   * A connection of its own, named `name`, for the few statements that must not wait behind
   * everything else (the instance heartbeat, which a saturated PostgreSQL pool would delay
   * until survivors declare a live instance dead). On SQLite, one connection in one process,
   * it is this database.
   */
  dedicated(name: string): DedicatedConnection;
  /**
   * Short messages between the processes that share this database (PostgreSQL NOTIFY);
   * absent on an engine only one process can use (SQLite), where an in-process bus suffices.
   */
  notifications?(): Notifications;
  /**
   * Locks held by a connection of their own, released when the holder dies (PostgreSQL
   * session advisory locks); absent on an engine only one process can use (SQLite).
   */
  sessionLocks?(): SessionLocks;
}

/** Statements on a connection of their own; `close()` ends it. */
export interface DedicatedConnection extends Queryable {
  close(): Promise<void>;
}

/** A lock on a dedicated connection: taken with `tryTake`, released by `close` or when the connection ends. */
export interface SessionLock {
  /** Takes the lock if it is free (or already held by this connection); whether it is held now. */
  tryTake(): Promise<boolean>;
  /** One round trip on the connection: false once it is gone (and a lock taken on it with it). */
  check(): Promise<boolean>;
  /** Releases the lock, if held, and ends the connection. */
  close(): Promise<void>;
}

/** What a lock's connection reports. */
export interface SessionLockHandlers {
  /** Names the connection for operators (PostgreSQL's application_name). */
  name: string;
  /** The connection dropped: a lock taken on it is no longer held. Called once. */
  lost(err: Error): void;
}

/** Opens locks, each numbered by `key`, each on its own connection. */
export interface SessionLocks {
  open(key: number, handlers: SessionLockHandlers): Promise<SessionLock>;
}

/** A dedicated connection listening on one channel; `close()` ends it. */
export interface NotifyListener {
  close(): Promise<void>;
}

/** What a listening connection reports: each message, and its loss (once). */
export interface NotifyHandlers {
  /** Names the connection for operators (PostgreSQL's application_name). */
  name: string;
  message(payload: string): void;
  /** The connection dropped: messages sent from now on are not received until listening again. */
  lost(err: Error): void;
}

/** Publish and listen through the database: every listener on a channel gets each message. */
export interface Notifications {
  /** The largest payload, in bytes, a message may carry. */
  readonly maxPayloadBytes: number;
  /** Sends `payload` to every listener on `channel`, this process's own included. */
  notify(channel: string, payload: string): Promise<void>;
  /** Opens a connection of its own that listens on `channel`. */
  listen(channel: string, handlers: NotifyHandlers): Promise<NotifyListener>;
}

/** Whether `target` names a PostgreSQL database (a postgres:// URL) rather than a SQLite file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** Opens the store `target` names: a postgres:// URL, or else the path of a SQLite file. */
async function openDatabase(target: string): Promise<Database> {
  if (isPostgresUrl(target)) {
    const { PostgresDatabase } = await import('./postgresDatabase.js');
    return PostgresDatabase.open(target);
  }
  const { SqliteDatabase } = await import('./sqliteDatabase.js');
  return SqliteDatabase.open(target);
}

/** Opens stores: `Database.open(pathOrUrl)`. */
export const Database = { open: openDatabase };

/** Error codes (SQLite's and PostgreSQL's) that mean the disk (or its quota) cannot take more writes. */
const DISK_FULL = new Set(['SQLITE_FULL', 'SQLITE_IOERR', '53100']);

/**
 * Names a full disk as such: without it the caller sees "Internal error." and the log an
 * opaque SQLITE_FULL, while the cause and the cure (free space) are plain.
 */
export function storeError(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && DISK_FULL.has(code)) {
    return new BurrowError('STORE_FULL', 'The server could not write to its database: the disk is full or failing. Nothing was changed; free disk space and try again.', { cause: err });
  }
  return err;
}
