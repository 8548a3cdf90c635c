import pg from 'pg';
import { storeError, type DedicatedConnection, type SqlValue } from './database.js';
import { redactDatabaseUrl } from './databaseUrl.js';
import { numberedPlaceholders } from './sqlText.js';

/** How the connection is made: where, under what name, reading values how (as the pool does). */
export interface DedicatedConnectionOptions {
  url: string;
  name: string;
  types: pg.CustomTypesConfig;
  /** The key audit entries are sealed with, read at each use. */
  macKey: () => Buffer | undefined;
}

/**
 * Statements on a PostgreSQL connection of their own, outside the pool, so they never wait
 * for a pooled connection. Opened at first use; a statement that fails drops the connection
 * (it may be lost, or still busy with a query that timed out) and the next one opens a new one.
 */
export function postgresDedicatedConnection(o: DedicatedConnectionOptions): DedicatedConnection {
  let client: pg.Client | undefined;
  let opening: Promise<pg.Client> | undefined;
  let closed = false;

  const drop = (c: pg.Client) => {
    if (client === c) client = undefined;
    c.end().catch(() => undefined);
  };

  const open = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: o.url, types: o.types, application_name: o.name, keepAlive: true, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
    // Without an 'error' listener a dropped connection would crash the process.
    c.on('error', () => drop(c));
    c.on('end', () => {
      if (client === c) client = undefined;
    });
    try {
      await c.connect();
    } catch (err) {
      await c.end().catch(() => undefined);
      throw new Error(`Cannot open a connection to ${redactDatabaseUrl(o.url)}: ${(err as Error).message.replaceAll(o.url, redactDatabaseUrl(o.url))}`, { cause: err });
    }
    if (closed) {
      await c.end().catch(() => undefined);
      throw new Error('the dedicated connection was closed');
    }
    client = c;
    return c;
  };

  const connected = (): Promise<pg.Client> => {
    if (closed) return Promise.reject(new Error('the dedicated connection was closed'));
    if (client) return Promise.resolve(client);
    opening ??= open().finally(() => (opening = undefined));
    return opening;
  };

  const query = async (sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
    const c = await connected();
    try {
      return await c.query(sql, params as SqlValue[]);
    } catch (err) {
      drop(c);
      throw storeError(err as Error);
    }
  };

  return {
    run: async (sql, params = []) => ({ changes: (await query(numberedPlaceholders(sql), params)).rowCount ?? 0 }),
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(numberedPlaceholders(sql), params)).rows[0] as T | undefined,
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(numberedPlaceholders(sql), params)).rows as T[],
    exec: async (sql) => {
      await query(sql, []);
    },
    get auditMacKey() {
      return o.macKey();
    },
    async close() {
      closed = true;
      await opening?.catch(() => undefined);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
