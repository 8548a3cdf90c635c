import pg from 'pg';
import type { SessionLock, SessionLockHandlers, SessionLocks } from './database.js';
import { redactDatabaseUrl } from './databaseUrl.js';

/**
 * Session-level advisory locks, each on a connection of its own: PostgreSQL releases the
 * lock when its holder unlocks or when the connection ends, so a holder that died (a
 * `kill -9`, a lost machine) frees it without anyone's help. TCP keepalives, on both
 * ends, bound how long a vanished peer goes unnoticed.
 */
export function postgresSessionLocks(url: string): SessionLocks {
  return { open: (key, handlers) => openLock(url, key, handlers) };
}

async function openLock(url: string, key: number, h: SessionLockHandlers): Promise<SessionLock> {
  const client = new pg.Client({ connectionString: url, application_name: h.name, keepAlive: true, keepAliveInitialDelayMillis: 5_000, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
  let closing = false;
  let lost = false;
  const onLost = (err: Error) => {
    if (closing || lost) return;
    lost = true;
    client.end().catch(() => undefined);
    h.lost(err);
  };
  // Without an 'error' listener a dropped connection would crash the process.
  client.on('error', (err) => onLost(err));
  client.on('end', () => onLost(new Error('the database closed the connection')));
  try {
    await client.connect();
    // The server side notices a vanished holder within about 11 s and releases its lock.
    await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3');
  } catch (err) {
    closing = true;
    await client.end().catch(() => undefined);
    throw new Error(`Cannot open a lock connection to ${redactDatabaseUrl(url)}: ${(err as Error).message.replaceAll(url, redactDatabaseUrl(url))}`, { cause: err });
  }
  return {
    async tryTake() {
      const r = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [key]);
      return r.rows[0]?.held === true;
    },
    async check() {
      if (lost) return false;
      return client.query('SELECT 1').then(() => true, () => false);
    },
    async close() {
      if (closing) return;
      closing = true;
      // Ending the session releases its locks; unlocking first frees the lock at once even if the end lingers.
      if (!lost) await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
