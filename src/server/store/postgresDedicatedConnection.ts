import type pg from 'pg';
import { storeError, type DedicatedConnection, type SqlValue } from './database.js';
import { openDedicatedPgConnection, type DedicatedPgConnection } from './dedicatedPgConnection.js';
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
 * for a pooled connection. Opened at first use (as dedicatedPgConnection.ts opens one); a statement that fails drops the connection
 * (it may be lost, or still busy with a query that timed out) and the next one opens a new one.
 */
export function postgresDedicatedConnection(o: DedicatedConnectionOptions): DedicatedConnection {
  let current: DedicatedPgConnection | undefined;
  let opening: Promise<DedicatedPgConnection> | undefined;
  let closed = false;

  const forget = (conn: DedicatedPgConnection) => {
    if (current === conn) current = undefined;
  };

  const open = async (): Promise<DedicatedPgConnection> => {
    const conn: DedicatedPgConnection = await openDedicatedPgConnection({
      url: o.url,
      settings: { types: o.types, application_name: o.name, keepAlive: true, connectionTimeoutMillis: 10_000, query_timeout: 10_000 },
      purpose: 'open a connection to',
      setUp: async () => undefined,
      onLost: () => forget(conn),
    });
    if (closed) {
      await conn.close();
      throw new Error('the dedicated connection was closed');
    }
    current = conn;
    return conn;
  };

  const connected = (): Promise<DedicatedPgConnection> => {
    if (closed) return Promise.reject(new Error('the dedicated connection was closed'));
    if (current) return Promise.resolve(current);
    opening ??= open().finally(() => (opening = undefined));
    return opening;
  };

  const query = async (sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
    const conn = await connected();
    try {
      return await conn.client.query(sql, params as SqlValue[]);
    } catch (err) {
      forget(conn);
      void conn.close();
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
      const conn = current;
      current = undefined;
      await conn?.close();
    },
  };
}
