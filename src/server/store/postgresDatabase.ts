import pg from 'pg';
import { BurrowError } from '../../shared/errors.js';
import { storeError, type Database, type DedicatedConnection, type Notifications, type Queryable, type SessionLocks, type SqlValue } from './database.js';
import { checkPostgresUrl, redactDatabaseUrl } from './databaseUrl.js';
import { postgresDedicatedConnection } from './postgresDedicatedConnection.js';
import { postgresNotifications } from './postgresNotifications.js';
import { postgresSessionLocks } from './postgresSessionLock.js';
import { numberedPlaceholders, postgresDdl } from './sqlText.js';

/** pg's type ids for 64-bit integers and numerics, which it returns as strings by default. */
const INT8 = 20;
const NUMERIC = 1700;

/**
 * Times are milliseconds (BIGINT), well inside a double's exact range, and stores compare
 * them as numbers: read 64-bit integers as numbers, as SQLite hands them out.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Every write transaction first takes this transaction-level advisory lock, as SQLite's
 * BEGIN IMMEDIATE takes the file's write lock: write transactions run one at a time, in
 * this process and in any other using the same database, so the audit chain's head and
 * every read-check-write (token uses, session limits) see no interleaved writer. Read
 * committed isolation then lets each statement see what the previous holder committed.
 */
const WRITE_LOCK = 0x6275_7272; // "burr"

type Client = pg.Pool | pg.PoolClient;

function over(c: Client, macKey: () => Buffer | undefined): Queryable {
  const query = async (sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
    try {
      return await c.query(numberedPlaceholders(sql), params as SqlValue[]);
    } catch (err) {
      throw storeError(err as Error);
    }
  };
  return {
    run: async (sql, params = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows[0] as T | undefined,
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows as T[],
    exec: async (sql) => {
      try {
        await c.query(sql);
      } catch (err) {
        throw storeError(err as Error);
      }
    },
    get auditMacKey() {
      return macKey();
    },
  };
}

/** A PostgreSQL database through a connection pool. */
export class PostgresDatabase implements Database {
  readonly engine = 'postgres';
  private macKey: Buffer | undefined;
  private readonly q: Queryable;
  /** Ended with the pool, whoever else closes them first. */
  private readonly dedicatedLines = new Set<DedicatedConnection>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {
    this.q = over(pool, () => this.macKey);
  }

  /** Connects to the database `url` names and checks that it answers. */
  static async open(url: string): Promise<PostgresDatabase> {
    checkPostgresUrl(url);
    const pool = new pg.Pool({ connectionString: url, types, max: 10, connectionTimeoutMillis: 10_000, application_name: 'burrow' });
    // An idle connection the server drops must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => undefined);
      const why = (err as Error).message.replaceAll(url, redactDatabaseUrl(url));
      throw new BurrowError('CONFIG_INVALID', `Cannot reach the database ${redactDatabaseUrl(url)}: ${why.replace(/\.$/, '')}.`, { cause: err });
    }
    return new PostgresDatabase(pool, url);
  }

  get auditMacKey(): Buffer | undefined {
    return this.macKey;
  }

  sealAuditWith(key: Buffer): void {
    this.macKey = key;
  }

  ddl(sql: string): string {
    return postgresDdl(sql);
  }

  run(sql: string, params?: readonly SqlValue[]) {
    return this.q.run(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.q.get<T>(sql, params);
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.q.all<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.q.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: Error) => Promise.reject(storeError(err)));
    // A connection whose ROLLBACK failed is broken: it is dropped, not handed to the next caller.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
        const value = await fn(over(client, () => this.macKey));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      }
    } catch (err) {
      throw storeError(err as Error);
    } finally {
      client.release(broken);
    }
  }

  /** Statements on a connection of their own, outside the pool: they never wait for a pooled connection. */
  dedicated(name: string): DedicatedConnection {
    const line = postgresDedicatedConnection({ url: this.url, name, types, macKey: () => this.macKey });
    this.dedicatedLines.add(line);
    return line;
  }

  /** NOTIFY through the pool, LISTEN on a connection of its own to the same database. */
  notifications(): Notifications {
    return postgresNotifications(this.url, this.pool);
  }

  /** Session advisory locks, each on a connection of its own to the same database. */
  sessionLocks(): SessionLocks {
    return postgresSessionLocks(this.url);
  }

  async close(): Promise<void> {
    await Promise.all([...this.dedicatedLines].map((line) => line.close()));
    return this.pool.end();
  }
}
