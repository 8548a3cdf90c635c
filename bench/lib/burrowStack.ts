import https from 'node:https';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BURROW, freePort, run, start, stop, waitFor } from './procs.js';

/** A burrow server with a logged-in admin CLI, for benches and scale checks. */
export interface BurrowServer {
  url: string;
  port: number;
  home: string;
  adminHome: string;
  fingerprint: string;
  process: ChildProcess;
  /** Runs `burrow admin …` with the admin's login and returns parsed JSON. */
  admin<T>(...args: string[]): Promise<T>;
  /** Kills the server (signal) and starts it again on the same home. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  close(): Promise<void>;
}

const totp = async (secret: string) => (await run('oathtool', ['--totp', '-b', secret])).trim();

/** Inits, starts and logs in to a server in `dir`. */
export async function startBurrowServer(dir: string, opts: { sessionPorts?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<BurrowServer> {
  const port = await freePort();
  const home = join(dir, 'server');
  const adminHome = join(dir, 'admin');
  const pw = join(dir, 'password');
  await mkdir(dir, { recursive: true });
  await writeFile(pw, 'bench password for burrow\n', { mode: 0o600 });
  const init = JSON.parse(
    await run(BURROW, ['server', 'init', '--home', home, '--listen', `127.0.0.1:${port}`, '--admin-email', 'bench@example.com', '--admin-password-file', pw, '--session-ports', opts.sessionPorts ?? '40000-65000', '--json']),
  ) as { url: string; totpSecret: string; fingerprint: string };
  const env = { ...process.env, BURROW_LOG_LEVEL: 'warn', ...opts.env };
  // As a user starts it (bin/burrow picks the server's V8 settings); profiling flags, which
  // NODE_OPTIONS does not allow, go through the launcher's BURROW_NODE_ARGS.
  const launch = () => start(BURROW, ['server', 'start', '--home', home], join(dir, 'server.log'), { env: { ...env, BURROW_NODE_ARGS: (opts.nodeArgs ?? []).join(' ') } });
  const server: BurrowServer = {
    url: init.url,
    port,
    home,
    adminHome,
    fingerprint: init.fingerprint,
    process: launch(),
    admin: async <T>(...args: string[]) => JSON.parse(await run(BURROW, ['admin', ...args, '--home', adminHome, '--json'])) as T,
    async restart(signal: NodeJS.Signals = 'SIGKILL') {
      await stop(server.process, signal);
      server.process = launch();
      await waitFor('server health', () => healthy(server.url), 30_000, 50);
    },
    close: () => stop(server.process),
  };
  await waitFor('server health', () => healthy(init.url), 30_000, 50);
  await run(BURROW, ['admin', 'login', '--home', adminHome, '--server', init.url, '--email', 'bench@example.com', '--password-file', pw, '--totp', await totp(init.totpSecret), '--fingerprint', init.fingerprint]);
  return server;
}

/** GET /healthz of a server (self-signed, so not verified: this is our own loopback server). */
export function healthz(url: string): Promise<{ ok: boolean }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${url}/healthz`, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as { ok: boolean });
          } catch (err) {
            reject(err as Error);
          }
        });
      })
      .on('error', reject)
      .on('timeout', function (this: { destroy(): void }) {
        this.destroy();
      });
  });
}

async function healthy(url: string): Promise<boolean> {
  return (await healthz(url)).ok;
}

/** Enrolls and runs one real agent process that exposes `webui` → the origin. */
export async function startNode(server: BurrowServer, dir: string, name: string, originPort: number, nodeArgs: string[] = []): Promise<ChildProcess> {
  const token = (await server.admin<{ token: string }>('enroll-token', 'create', '--auto-approve')).token;
  const home = join(dir, name);
  await run(BURROW, ['node', 'enroll', server.url, '--token', token, '--name', name, '--service', `webui=127.0.0.1:${originPort}`, '--home', home]);
  const node = start(BURROW, ['node', 'run', '--home', home], join(dir, `${name}.log`), { env: { ...process.env, BURROW_LOG_LEVEL: 'warn', BURROW_NODE_ARGS: nodeArgs.join(' ') } });
  await waitFor(`${name} online`, async () => (await server.admin<{ name: string; online: boolean }[]>('nodes')).some((n) => n.name === name && n.online), 30_000);
  return node;
}

/**
 * Turns a session URL into a base URL plus the headers a client must send: a session URL
 * may carry a one-time token that the port trades for a cookie on the first request.
 */
export function sessionAccess(sessionUrl: string): Promise<{ base: string; headers: string[] }> {
  const u = new URL(sessionUrl);
  const base = `${u.protocol}//${u.host}`;
  return new Promise((resolve, reject) => {
    https
      .get(sessionUrl, { rejectUnauthorized: false }, (res) => {
        res.resume();
        const cookies = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).filter(Boolean);
        resolve({ base, headers: cookies.length ? [`Cookie: ${cookies.join('; ')}`] : [] });
      })
      .on('error', reject);
  });
}
