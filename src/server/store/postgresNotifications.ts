import pg from 'pg';
import type { NotifyHandlers, NotifyListener, Notifications } from './database.js';
import { redactDatabaseUrl } from './databaseUrl.js';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (in the server's encoding, UTF-8 here). */
const MAX_PAYLOAD_BYTES = 7999;

/**
 * NOTIFY through the store's pool and LISTEN on a connection of its own: a pooled
 * connection is handed to other queries between uses and would miss what arrives meanwhile.
 */
export function postgresNotifications(url: string, pool: pg.Pool): Notifications {
  return {
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    async notify(channel, payload) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    listen: (channel, handlers) => listenOn(url, channel, handlers),
  };
}

async function listenOn(url: string, channel: string, h: NotifyHandlers): Promise<NotifyListener> {
  // TCP keepalive: a peer that vanishes without closing (a cut link) is noticed, not waited on forever.
  const client = new pg.Client({ connectionString: url, application_name: h.name, keepAlive: true, connectionTimeoutMillis: 10_000 });
  let closing = false;
  let lost = false;
  const onLost = (err: Error) => {
    if (closing || lost) return;
    lost = true;
    client.end().catch(() => undefined);
    h.lost(err);
  };
  client.on('notification', (m) => {
    if (m.channel === channel && m.payload !== undefined) h.message(m.payload);
  });
  // Without an 'error' listener a dropped connection would crash the process.
  client.on('error', (err) => onLost(err));
  client.on('end', () => onLost(new Error('the database closed the connection')));
  try {
    await client.connect();
    await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  } catch (err) {
    closing = true;
    await client.end().catch(() => undefined);
    throw new Error(`Cannot listen for cluster messages on ${redactDatabaseUrl(url)}: ${(err as Error).message.replaceAll(url, redactDatabaseUrl(url))}`, { cause: err });
  }
  return {
    async close() {
      if (closing) return;
      closing = true;
      await client.end().catch(() => undefined);
    },
  };
}
