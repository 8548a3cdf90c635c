import { execFile, spawnSync } from 'node:child_process';
import { chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The unprivileged account clusters run as when the tests run as root (PostgreSQL refuses to run as root). */
const CLUSTER_USER = 'burrow-pg';

/** A throwaway PostgreSQL cluster under a temp dir; `stop()` stops it and removes every file. */
export interface ScratchPostgres {
  /** The URL of a new, empty database (over the cluster's unix socket, or TCP with a password when asked). */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL Debian's `postgresql` package installed. */
async function postgresBin(): Promise<string> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run "make test-deps".');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** The uid and gid to run the cluster as: ours, or a dedicated account (created if missing) when we are root. */
async function clusterAccount(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => ({ uid: Number((await run('id', ['-u', CLUSTER_USER])).stdout), gid: Number((await run('id', ['-g', CLUSTER_USER])).stdout) });
  try {
    return await ids();
  } catch {
    // Another test file may create it at the same moment: whoever loses re-reads it.
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', CLUSTER_USER]).catch(() => undefined);
    return ids();
  }
}

/**
 * Starts a cluster (initdb + pg_ctl) in a fresh temp dir, listening on a unix socket in
 * that dir and, with `tcp`, on 127.0.0.1:`tcp.port` with password authentication. fsync is
 * off: the data is thrown away. The cluster is stopped when the process exits, if not before.
 */
export async function startScratchPostgres(o: { tcp?: { port: number; password: string } } = {}): Promise<ScratchPostgres> {
  const bin = await postgresBin();
  const account = await clusterAccount();
  const dir = await mkdtemp(join(tmpdir(), 'burrow-pg-'));
  const data = join(dir, 'data');
  const as = { cwd: dir, ...(account ?? {}) };
  const stopNow = () => {
    spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...as, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (account) await chown(dir, account.uid, account.gid);
    const init = ['-D', data, '-U', 'burrow', '-E', 'UTF8', '--no-locale', '--no-sync', '--auth-local=trust'];
    if (o.tcp) {
      await writeFile(join(dir, 'pw'), o.tcp.password);
      if (account) await chown(join(dir, 'pw'), account.uid, account.gid);
      init.push('--auth-host=scram-sha-256', `--pwfile=${join(dir, 'pw')}`);
    }
    await run(join(bin, 'initdb'), init, as);
    const settings = [
      `-c listen_addresses='${o.tcp ? '127.0.0.1' : ''}'`,
      `-c port=${o.tcp?.port ?? 5432}`,
      `-c unix_socket_directories='${dir}'`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
    ];
    process.once('exit', stopNow);
    await run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', settings.join(' '), 'start'], as);
  } catch (err) {
    stopNow();
    throw new Error(`Cannot start a scratch PostgreSQL cluster: ${(err as Error).message}`, { cause: err });
  }
  const socketPort = o.tcp?.port ?? 5432;
  let n = 0;
  return {
    async createDatabase() {
      const name = `burrow_${++n}`;
      // A connection per call, none held between: an open socket would keep the test process alive.
      const admin = new pg.Client({ host: dir, port: socketPort, user: 'burrow', database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return o.tcp ? `postgres://burrow:${encodeURIComponent(o.tcp.password)}@127.0.0.1:${o.tcp.port}/${name}` : `postgres://burrow@localhost:${socketPort}/${name}?host=${dir}`;
    },
    async stop() {
      process.removeListener('exit', stopNow);
      await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], as).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
