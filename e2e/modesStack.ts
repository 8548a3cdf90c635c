import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run compiled from dist/e2e/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/burrow');

/** What one CLI run printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `burrow ARGS` to completion. */
export function burrow(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs `burrow ARGS --json` and parses stdout, or throws with stderr. */
export async function burrowJson<T>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await burrow([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`burrow ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A long-running burrow process whose stderr (JSON logs) is collected. */
export class Daemon {
  logs = '';
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => (this.logs += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (this.logs += d.toString()));
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  /** Resolves when the logs match `re` (counting from `from`), or rejects after `ms`. */
  waitFor(re: RegExp, ms = 15_000, from = 0): Promise<void> {
    return waitUntil(() => re.test(this.logs.slice(from)), ms, `log line ${String(re)}`);
  }

  /** Ends the process (SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Starts `burrow ARGS` in the background. */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  return new Daemon(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Polls `check` every 100 ms until it holds, or rejects after `ms`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A node's view as `burrow admin nodes --json` prints it. */
export interface NodeRow {
  id: string;
  name: string;
  online: boolean;
  mode: string;
  lastSeen: string | null;
  [k: string]: unknown;
}

/** A burrow server with a logged-in admin and a local WebUI for nodes to expose. */
export class ModesStack {
  server!: Daemon;
  url = '';
  webuiPort = 0;
  private webui?: http.Server;
  private readonly daemons: Daemon[] = [];
  private nodes = 0;

  private constructor(readonly dir: string) {}

  /** Inits and starts a server (with `serverConfig` merged into server.json) and logs in. */
  static async start(serverConfig: Record<string, unknown> = {}): Promise<ModesStack> {
    const s = new ModesStack(await mkdtemp(join(tmpdir(), 'burrow-modes-')));
    try {
      await s.boot(serverConfig);
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  /** Server home; admin CLI home. */
  get serverHome(): string {
    return join(this.dir, 'server');
  }
  get adminHome(): string {
    return join(this.dir, 'admin');
  }

  private async boot(serverConfig: Record<string, unknown>): Promise<void> {
    const port = await freePort();
    const pw = join(this.dir, 'pw');
    await writeFile(pw, 'correct horse battery staple\n', { mode: 0o600 });
    const from = 42000 + Math.floor(Math.random() * 200) * 100;
    const init = await burrowJson<{ url: string; totpSecret: string; fingerprint: string }>([
      'server', 'init', '--home', this.serverHome, '--listen', `127.0.0.1:${port}`, '--public-url', `https://127.0.0.1:${port}`,
      '--admin-email', 'admin@example.com', '--admin-password-file', pw, '--session-ports', `${from}-${from + 99}`,
    ]);
    this.url = init.url;
    const cfgPath = join(this.serverHome, 'server.json');
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
    await writeFile(cfgPath, JSON.stringify({ ...cfg, sessionHost: '127.0.0.1', ...serverConfig }));
    this.server = this.track(startDaemon(['server', 'start', '--home', this.serverHome]));
    await this.server.waitFor(/burrow server started/);
    const totp = await new Promise<string>((resolve, reject) =>
      execFile('oathtool', ['--totp', '-b', init.totpSecret], (err, out) => (err ? reject(err) : resolve(out.trim()))),
    );
    const login = await burrow(['admin', 'login', '--home', this.adminHome, '--server', this.url, '--email', 'admin@example.com', '--password-file', pw, '--totp', totp, '--fingerprint', init.fingerprint]);
    if (login.code !== 0) throw new Error(`admin login failed: ${login.stderr}`);
    this.webui = http.createServer((_req, res) => res.end('hello from the webui'));
    await new Promise<void>((r) => this.webui?.listen(0, '127.0.0.1', () => r()));
    this.webuiPort = (this.webui.address() as net.AddressInfo).port;
  }

  /** Enrolls a node (auto-approved) and merges `nodeConfig` into its node.json; returns its home. */
  async enrollNode(name: string, nodeConfig: Record<string, unknown> = {}, serverUrl = this.url): Promise<string> {
    const home = join(this.dir, `node-${++this.nodes}`);
    const t = await burrowJson<{ token: string }>(['admin', 'enroll-token', 'create', '--home', this.adminHome, '--auto-approve']);
    await burrowJson(['node', 'enroll', serverUrl, '--token', t.token, '--name', name, '--service', `webui=127.0.0.1:${this.webuiPort}`, '--home', home]);
    const cfgPath = join(home, 'node.json');
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
    await writeFile(cfgPath, JSON.stringify({ ...cfg, ...nodeConfig }), { mode: 0o600 });
    return home;
  }

  /** Starts `burrow node run` for a node home. */
  runNode(home: string, env: NodeJS.ProcessEnv = {}): Daemon {
    return this.track(startDaemon(['node', 'run', '--home', home], { BURROW_LOG_LEVEL: 'debug', ...env }));
  }

  /** Keeps a daemon to stop in close(). */
  track(d: Daemon): Daemon {
    this.daemons.push(d);
    return d;
  }

  /** One node as the admin CLI lists it. */
  async node(name: string): Promise<NodeRow> {
    const rows = await burrowJson<NodeRow[]>(['admin', 'nodes', '--home', this.adminHome]);
    const row = rows.find((r) => r.name === name);
    if (!row) throw new Error(`no node ${name}`);
    return row;
  }

  /** Audit entries (newest first) whose action starts with `prefix`. */
  audit(prefix: string): Promise<{ at: string; actor: string; action: string; target: string; detail?: unknown }[]> {
    return burrowJson(['admin', 'audit', '--home', this.adminHome, '--action', prefix, '--limit', '500']);
  }

  /** Stops every process and removes every file this stack made. */
  async close(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.stop()));
    await new Promise<void>((r) => (this.webui ? this.webui.close(() => r()) : r()));
    await rm(this.dir, { recursive: true, force: true });
  }
}
