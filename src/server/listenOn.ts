import type { Server } from 'node:net';
import { splitHostPort } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';

/**
 * Binds `server` to a configured `host:port`; a port in use or an address not on this
 * machine becomes one sentence naming the setting (`what`, e.g. "for metrics"), not a stack trace.
 */
export async function listenOn(server: Server, listen: string, what?: string): Promise<void> {
  const { host, port } = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new BurrowError('CONFIG_INVALID', `Cannot listen${what ? ` ${what}` : ''} on ${listen}: ${err.code ?? err.message}.`, { cause: err });
  });
}
