import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './waitFor.js';

/** Where HAProxy listens and where burrow does: README's "Behind HAProxy" configuration, filled in. */
export interface HaproxyLayout {
  /** Address HAProxy binds (the public address). */
  front: string;
  /** Address burrow listens on (`listen` host and `sessionHost`). */
  back: string;
  /** Address HAProxy connects to burrow from: the one in `proxyProtocolFrom`. */
  source: string;
  /** The public main port, and burrow's. */
  frontPort: number;
  backPort: number;
  /** The session port range, the same on both sides. */
  sessionPorts: readonly [number, number];
}

/**
 * README's HAProxy configuration with the addresses filled in. TCP mode end to end (burrow
 * terminates TLS), PROXY protocol v2 to burrow, health checks of /healthz over TLS (sent
 * with a LOCAL PROXY header), and the session range forwarded port for port.
 */
export function haproxyConfig(l: HaproxyLayout, extraGlobal: string[] = []): string {
  const [from, to] = l.sessionPorts;
  return [
    'global',
    '    maxconn 4096',
    ...extraGlobal.map((line) => `    ${line}`),
    '',
    'defaults',
    '    mode tcp',
    '    timeout connect 5s',
    '    timeout client 1h',
    '    timeout server 1h',
    '',
    'frontend burrow',
    `    bind ${l.front}:${l.frontPort}`,
    '    default_backend burrow',
    '',
    'backend burrow',
    '    option httpchk GET /healthz',
    '    http-check expect status 200',
    `    server burrow1 ${l.back}:${l.backPort} send-proxy-v2 source ${l.source} check check-ssl verify none inter 2s fall 3 rise 2`,
    '',
    'frontend burrow_sessions',
    `    bind ${l.front}:${from}-${to}`,
    '    default_backend burrow_sessions',
    '',
    'backend burrow_sessions',
    '    # No port: each connection goes to the port it arrived on.',
    `    server burrow1 ${l.back} send-proxy-v2 source ${l.source}`,
    '',
  ].join('\n');
}

/** Debian's HAProxy (scripts/test-deps.sh) in the foreground, from a temp dir, with an admin socket for its server states. */
export class Haproxy {
  private child?: ChildProcess;
  private constructor(readonly dir: string) {}

  /** Starts HAProxy with README's configuration for `layout`; resolves once it listens. */
  static start(layout: HaproxyLayout): Promise<Haproxy> {
    return Haproxy.launch((statsSocket) => haproxyConfig(layout, [`stats socket ${statsSocket} mode 600 level admin`]));
  }

  /** Starts HAProxy with the configuration `config` makes for its admin socket's path; resolves once it listens. */
  static async launch(config: (statsSocket: string) => string): Promise<Haproxy> {
    const h = new Haproxy(await mkdtemp(join(tmpdir(), 'burrow-haproxy-')));
    try {
      const file = join(h.dir, 'haproxy.cfg');
      await writeFile(file, config(h.socketPath));
      const child = spawn('/usr/sbin/haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      h.child = child;
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      await waitFor('HAProxy to listen', async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${stderr}`);
        return (await h.command('show info')).includes('Name: HAProxy');
      }, { timeoutMs: 15_000, intervalMs: 100, stopOnError: true });
    } catch (err) {
      await h.stop();
      throw err;
    }
    return h;
  }

  private get socketPath(): string {
    return join(this.dir, 'admin.sock');
  }

  /** One command on the admin socket; '' when HAProxy is not there (yet). */
  command(line: string): Promise<string> {
    return new Promise((resolve) => {
      let out = '';
      const s = net.connect(this.socketPath, () => s.end(`${line}\n`));
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('error', () => resolve(''));
      s.on('close', () => resolve(out));
    });
  }

  /** The health-check status HAProxy shows for burrow's main port (UP, DOWN, …). */
  async mainStatus(): Promise<string> {
    return (await this.serverStat('burrow', 'burrow1'))?.status ?? '';
  }

  /** One server's row of `show stat` (status, scur: connections now, …), by column name; undefined when absent. */
  async serverStat(backend: string, server: string): Promise<Record<string, string> | undefined> {
    const lines = (await this.command('show stat')).split('\n');
    const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
    const row = lines.find((r) => r.startsWith(`${backend},${server},`))?.split(',');
    return row ? Object.fromEntries(header.map((h, i) => [h, row[i] ?? ''])) : undefined;
  }

  /** Kills HAProxy and removes its temp dir; safe to call twice. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
