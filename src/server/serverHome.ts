import { join } from 'node:path';

/** Where each piece of a server's state lives inside its home directory. */
export function serverPaths(home: string) {
  return {
    config: join(home, 'server.json'),
    database: join(home, 'burrow.db'),
    secretKey: join(home, 'secret.key'),
    tlsCert: join(home, 'tls', 'cert.pem'),
    tlsKey: join(home, 'tls', 'key.pem'),
    hostKey: join(home, 'ssh_host_ed25519_key'),
    hostKeyPub: join(home, 'ssh_host_ed25519_key.pub'),
    recordings: join(home, 'recordings'),
    accessLog: join(home, 'access.log'),
  };
}

/** Where burrow keeps its SQL migrations, relative to this compiled file. */
export const MIGRATIONS_DIR = new URL('../../../migrations', import.meta.url).pathname;

/** Where `npm run build:console` puts the console, relative to this compiled file. */
export const CONSOLE_DIR = new URL('../../console', import.meta.url).pathname;
