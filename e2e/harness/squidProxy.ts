import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';
import { waitUntil } from './waitFor.js';

/** Which proxy authentication squid demands. */
export type SquidAuth = 'basic' | 'digest' | 'ntlm';

/**
 * A real squid on loopback that demands Basic, Digest or NTLM auth for CONNECT, with one user.
 * Debian's squid (scripts/test-deps.sh) runs in the foreground (-N) from a temp dir. NTLM
 * uses squid's ntlm_fake_auth helper: it checks the NTLM handshake's messages and takes the
 * user name from them, but verifies no password (no domain controller on a test machine).
 */
export class SquidProxy {
  private child?: ChildProcess;
  port = 0;

  private constructor(readonly dir: string) {}

  /** Starts squid demanding `auth` for `user`/`password`; port `denyPort` is refused with 403. */
  static async start(auth: SquidAuth, user: string, password: string, denyPort = 1): Promise<SquidProxy> {
    const s = new SquidProxy(await mkdtemp(join(tmpdir(), 'burrow-squid-')));
    try {
      await s.boot(auth, user, password, denyPort);
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  /** The proxy's URL, without credentials. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async boot(auth: SquidAuth, user: string, password: string, denyPort: number): Promise<void> {
    this.port = await freePort();
    const d = this.dir;
    const helper = {
      basic: [`auth_param basic program /usr/lib/squid/basic_ncsa_auth ${d}/passwd`, 'auth_param basic realm burrow-test'],
      digest: [`auth_param digest program /usr/lib/squid/digest_file_auth ${d}/passwd`, 'auth_param digest realm burrow-test'],
      ntlm: ['auth_param ntlm program /usr/lib/squid/ntlm_fake_auth', 'auth_param ntlm children 2'],
    }[auth];
    const passwd = auth === 'basic' ? `${user}:${execFileSync('openssl', ['passwd', '-apr1', password]).toString().trim()}\n` : `${user}:${password}\n`;
    await writeFile(join(d, 'passwd'), passwd);
    await writeFile(
      join(d, 'squid.conf'),
      [
        `http_port 127.0.0.1:${this.port}`,
        `pid_filename ${d}/squid.pid`,
        `cache_log ${d}/cache.log`,
        `access_log stdio:${d}/access.log`,
        'cache deny all',
        `coredump_dir ${d}`,
        'shutdown_lifetime 0 seconds',
        'pinger_enable off',
        ...helper,
        `acl denied_port port ${denyPort}`,
        'acl authed proxy_auth REQUIRED',
        'http_access deny denied_port',
        'http_access allow authed',
        'http_access deny all',
        '',
      ].join('\n'),
    );
    // Run as root, squid drops to the proxy user, which must reach its files.
    if (process.getuid?.() === 0) {
      const proxyUid = Number(execFileSync('id', ['-u', 'proxy']).toString());
      const proxyGid = Number(execFileSync('id', ['-g', 'proxy']).toString());
      await chmod(d, 0o755);
      for (const f of ['', 'passwd', 'squid.conf']) await chown(join(d, f), proxyUid, proxyGid);
      await writeFile(join(d, 'cache.log'), '');
      await writeFile(join(d, 'access.log'), '');
      await chown(join(d, 'cache.log'), proxyUid, proxyGid);
      await chown(join(d, 'access.log'), proxyUid, proxyGid);
    }
    this.child = spawn('/usr/sbin/squid', ['-N', '-f', join(d, 'squid.conf')], { stdio: 'ignore' });
    await waitUntil(() => this.accepts(), 15_000, 'squid to listen').catch(async (err: Error) => {
      const log = await readFile(join(d, 'cache.log'), 'utf8').catch(() => '');
      throw new Error(`${err.message}\n${log.slice(-2000)}`);
    });
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: this.port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  }

  /** Kills squid (its auth helpers exit when their stdin closes) and removes its files. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
