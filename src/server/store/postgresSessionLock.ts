import type { SessionLock, SessionLockHandlers, SessionLocks } from './database.js';
import { openDedicatedPgConnection } from './dedicatedPgConnection.js';

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
  const conn = await openDedicatedPgConnection({
    url,
    settings: { application_name: h.name, keepAlive: true, keepAliveInitialDelayMillis: 5_000, connectionTimeoutMillis: 10_000, query_timeout: 10_000 },
    purpose: 'open a lock connection to',
    // The server side notices a vanished holder within about 11 s and releases its lock.
    setUp: async (client) => {
      await client.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3');
    },
    onLost: (err) => h.lost(err),
  });
  const { client } = conn;
  return {
    async tryTake() {
      const r = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [key]);
      return r.rows[0]?.held === true;
    },
    async check() {
      if (conn.lost) return false;
      return client.query('SELECT 1').then(() => true, () => false);
    },
    async close() {
      // Ending the session releases its locks; unlocking first frees the lock at once even if the end lingers.
      await conn.close(async (c) => {
        await c.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      });
    },
  };
}
