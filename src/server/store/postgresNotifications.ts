import type pg from 'pg';
import type { NotifyHandlers, NotifyListener, Notifications } from './database.js';
import { openDedicatedPgConnection } from './dedicatedPgConnection.js';

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
  const conn = await openDedicatedPgConnection({
    url,
    // TCP keepalive: a peer that vanishes without closing (a cut link) is noticed, not waited on forever.
    settings: { application_name: h.name, keepAlive: true, connectionTimeoutMillis: 10_000 },
    purpose: 'listen for cluster messages on',
    setUp: async (client) => {
      client.on('notification', (m) => {
        if (m.channel === channel && m.payload !== undefined) h.message(m.payload);
      });
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    },
    onLost: (err) => h.lost(err),
  });
  return { close: () => conn.close() };
}
