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
    instanceId: join(home, 'instance-id'),
    /** The deployment's peer key pair: every instance holds the same one (a secret). */
    peerKey: join(home, 'peer', 'key.pem'),
    peerCert: join(home, 'peer', 'cert.pem'),
  };
}

/**
 * Which entries of a server home a backup leaves out, by path relative to the home: the
 * database and its WAL, shared-memory and journal files (a backup carries a consistent
 * snapshot instead), the running server's lock, and half-written temp files. Everything
 * else in the home (keys, certificates, config, audit checkpoints, recordings, and files
 * later versions add) is backed up, so this is the one list to keep right.
 */
export function backupSkips(relativePath: string): boolean {
  return /^burrow\.db(-wal|-shm|-journal)?$/.test(relativePath) || relativePath === 'server.lock' || /(^|\/)\.[^/]*\.tmp$/.test(relativePath);
}

/** What a secrets-only backup (for a PostgreSQL store, backed up with pg_dump) also leaves out: the recordings. */
export function bulkData(relativePath: string): boolean {
  return relativePath === 'recordings' || relativePath.startsWith('recordings/');
}

/** Where burrow keeps its SQL migrations, relative to this compiled file. */
export const MIGRATIONS_DIR = new URL('../../../migrations', import.meta.url).pathname;

/** Where `npm run build:console` puts the console, relative to this compiled file. */
export const CONSOLE_DIR = new URL('../../console', import.meta.url).pathname;
