import pg from 'pg';
import { redactDatabaseUrl } from './databaseUrl.js';

/** A PostgreSQL connection of its own, outside the store's pool. */
export interface DedicatedPgConnection {
  readonly client: pg.Client;
  /** Whether the connection was lost (and the loss told). */
  readonly lost: boolean;
  /** Ends the connection; `farewell` runs first on a connection not lost. Idempotent. */
  close(farewell?: (client: pg.Client) => Promise<void>): Promise<void>;
}

/** How to open a dedicated connection. */
export interface DedicatedPgConnectionOptions {
  url: string;
  /** Client settings besides the URL (application name, keepalives, timeouts). */
  settings: Omit<pg.ClientConfig, 'connectionString'>;
  /** What the connection is for, as the error of a failed open says it: "Cannot <purpose> <url>: …". */
  purpose: string;
  /** Runs once connected; a failure fails the open. */
  setUp: (client: pg.Client) => Promise<void>;
  /** Told once when the connection drops (never after close()). */
  onLost: (err: Error) => void;
}

/**
 * Opens a connection of its own, for what a pooled connection cannot hold (a session lock,
 * a LISTEN), and tells its loss once. A failed open ends it and throws with the URL's
 * password redacted.
 */
export async function openDedicatedPgConnection(o: DedicatedPgConnectionOptions): Promise<DedicatedPgConnection> {
  const client = new pg.Client({ connectionString: o.url, ...o.settings });
  let closing = false;
  let lost = false;
  const onLost = (err: Error) => {
    if (closing || lost) return;
    lost = true;
    client.end().catch(() => undefined);
    o.onLost(err);
  };
  // Without an 'error' listener a dropped connection would crash the process.
  client.on('error', (err) => onLost(err));
  client.on('end', () => onLost(new Error('the database closed the connection')));
  try {
    await client.connect();
    await o.setUp(client);
  } catch (err) {
    closing = true;
    await client.end().catch(() => undefined);
    const redacted = redactDatabaseUrl(o.url);
    throw new Error(`Cannot ${o.purpose} ${redacted}: ${(err as Error).message.replaceAll(o.url, redacted)}`, { cause: err });
  }
  return {
    client,
    get lost() {
      return lost;
    },
    async close(farewell) {
      if (closing) return;
      closing = true;
      if (farewell && !lost) await farewell(client);
      await client.end().catch(() => undefined);
    },
  };
}
