import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';

/** Repository root, from dist/e2e/ where the compiled tests run. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BURROW = join(REPO_ROOT, 'bin', 'burrow');
const PASSWORD = 'correct horse battery staple';

/** Runs `burrow …` to completion; rejects with its stderr on a non-zero exit. */
export function burrow(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BURROW, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`burrow ${args[0]} ${args[1] ?? ''} exited ${code}: ${err.trim()}`))));
  });
}

/** Starts a long-running `burrow …` and resolves once its log shows `ready`. */
function daemon(args: string[], ready: string, timeoutMs = 20_000): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BURROW, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`burrow ${args.join(' ')} did not log "${ready}" within ${timeoutMs} ms:\n${log.slice(-2000)}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      log += c.toString();
      if (log.includes(ready)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // Keep draining so a chatty daemon never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`burrow ${args.join(' ')} exited ${code} before "${ready}":\n${log.slice(-2000)}`));
    });
  });
}

/** The current TOTP code of `secret`, from the real oathtool. */
async function totp(secret: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('oathtool', ['--totp', '-b', secret], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`oathtool exited ${code}`))));
  });
}

/** What the stack is built with. */
export interface StackOptions {
  /** Extra server.json settings (limits, timeouts). */
  serverConfig?: Record<string, unknown>;
  /** Node services, name -> target. */
  services: Record<string, string>;
}

/** A server, a logged-in admin and one enrolled, connected node, all real processes. */
export class SessionStack {
  readonly procs: ChildProcess[] = [];
  dir = '';
  serverUrl = '';
  adminHome = '';
  nodeName = 'n1';
  sessionRange: [number, number] = [0, 0];
  server?: ChildProcess;
  node?: ChildProcess;
  private token = '';

  /** Builds the whole stack. */
  async start(o: StackOptions): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'burrow-sessions-'));
    const serverHome = join(this.dir, 'server');
    this.adminHome = join(this.dir, 'admin');
    const pwFile = join(this.dir, 'pw');
    await writeFile(pwFile, PASSWORD, { mode: 0o600 });
    const port = await getPort({ host: '127.0.0.1' });
    const base = 42_000 + randomInt(0, 18) * 1000;
    this.sessionRange = [base, base + 999];
    const init = JSON.parse(await burrow([
      'server', 'init', '--home', serverHome, '--listen', `127.0.0.1:${port}`, '--admin-email', 'a@x.test',
      '--admin-password-file', pwFile, '--session-ports', `${base}-${base + 999}`, '--json',
    ])) as { url: string; totpSecret: string; fingerprint: string };
    this.serverUrl = init.url;
    const configPath = join(serverHome, 'server.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, sessionHost: '127.0.0.1', ...o.serverConfig }, null, 2));
    this.server = await daemon(['server', 'start', '--home', serverHome], 'burrow server started');
    this.procs.push(this.server);
    await burrow([
      'admin', 'login', '--home', this.adminHome, '--server', init.url, '--email', 'a@x.test', '--password-file', pwFile,
      '--totp', await totp(init.totpSecret), '--fingerprint', init.fingerprint,
    ]);
    this.token = (JSON.parse(await readFile(join(this.adminHome, 'cli.json'), 'utf8')) as { token: string }).token;
    const enroll = JSON.parse(await this.admin(['enroll-token', 'create', '--auto-approve', '--json'])) as { token: string };
    const nodeHome = join(this.dir, 'node');
    const services = Object.entries(o.services).flatMap(([k, v]) => ['--service', `${k}=${v}`]);
    await burrow(['node', 'enroll', init.url, '--token', enroll.token, '--name', this.nodeName, '--home', nodeHome, ...services]);
    this.node = await daemon(['node', 'run', '--home', nodeHome], 'tunnel up');
    this.procs.push(this.node);
  }

  /** Runs `burrow admin …` as the logged-in admin. */
  admin(args: string[]): Promise<string> {
    return burrow(['admin', ...args, '--home', this.adminHome]);
  }

  /** Calls the server API as the admin; resolves with status and parsed body. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(new URL(path, this.serverUrl), {
        method,
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${this.token}`, ...(data ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  /** Kills every process and removes the temp dir. */
  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
      setTimeout(() => p.kill('SIGKILL'), 5_000).unref();
    })));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
