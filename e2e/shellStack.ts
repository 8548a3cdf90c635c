import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root (tests run from dist/e2e/). */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The built CLI. */
export const BURROW = join(ROOT, 'bin', 'burrow');

/** The result of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `burrow ARGS` to completion. */
export function burrow(args: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BURROW, ...args], { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(o.input ?? '');
  });
}

/** Like burrow(), but throws unless it exited 0; returns stdout parsed as JSON when asked. */
export async function burrowOk(args: string[]): Promise<string> {
  const r = await burrow(args);
  if (r.code !== 0) throw new Error(`burrow ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Spawns a long-running burrow process and waits for `ready` in its stderr. */
function daemon(args: string[], ready: string, timeoutMs = 20_000): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BURROW, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`burrow ${args.join(' ')} did not log "${ready}": ${log.slice(-2000)}`));
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(ready)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`burrow ${args.join(' ')} exited ${code}: ${log.slice(-2000)}`));
    });
  });
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

/** An enrolled node of the stack. */
export interface StackNode {
  name: string;
  id: string;
  home: string;
  /** Starts its agent and waits until the server lists it online with `services`. */
  start(services?: string[]): Promise<void>;
  /** Stops its agent and waits until the server lists it offline. */
  stop(): Promise<void>;
}

/** A server, a logged-in admin (CLI home) and nodes, all real processes on loopback. */
export interface ShellStack {
  dir: string;
  url: string;
  adminHome: string;
  /** Runs `burrow ARGS --home <admin home>`. */
  admin(args: string[]): Promise<RunResult>;
  /** Enrolls a node (auto-approved) without starting it; `setup` runs `burrow node …` commands on it first. */
  addNode(name: string, setup?: string[][]): Promise<StackNode>;
  close(): Promise<void>;
}

const PASSWORD = 'e2e password of the admin';

/** Starts a fresh server in a temp dir and logs an admin in with password + TOTP (oathtool). */
export async function startShellStack(): Promise<ShellStack> {
  const dir = await mkdtemp(join(tmpdir(), 'burrow-e2e-shell-'));
  const serverHome = join(dir, 'server');
  const adminHome = join(dir, 'admin');
  const children: ChildProcess[] = [];
  const pw = join(dir, 'pw');
  await writeFile(pw, PASSWORD, { mode: 0o600 });
  const port = await freePort();
  const range = 42000 + Math.floor(Math.random() * 200) * 10;
  const init = JSON.parse(
    await burrowOk(['server', 'init', '--home', serverHome, '--listen', `127.0.0.1:${port}`, '--admin-email', 'admin@example.com', '--admin-password-file', pw, '--session-ports', `${range}-${range + 9}`, '--json']),
  ) as { url: string; totpSecret: string; fingerprint: string };
  children.push(await daemon(['server', 'start', '--home', serverHome], 'burrow server started'));
  const totp = (await new Promise<string>((resolve, reject) => {
    const c = spawn('oathtool', ['--totp', '-b', init.totpSecret], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', () => resolve(out.trim()));
  }));
  await burrowOk(['admin', 'login', '--home', adminHome, '--server', init.url, '--email', 'admin@example.com', '--password-file', pw, '--totp', totp, '--fingerprint', init.fingerprint]);
  const admin = (args: string[]) => burrow(args, { env: { BURROW_HOME: adminHome } });
  const token = (JSON.parse(await burrowOk(['admin', 'enroll-token', 'create', '--home', adminHome, '--auto-approve', '--uses', '20', '--json'])) as { token: string }).token;

  return {
    dir,
    url: init.url,
    adminHome,
    admin,
    async addNode(name, setup = []) {
      const home = join(dir, name);
      const r = JSON.parse(await burrowOk(['node', 'enroll', init.url, '--token', token, '--name', name, '--service', 'webui=127.0.0.1:9', '--home', home, '--json'])) as { nodeId: string };
      for (const args of setup) await burrowOk(['node', ...args, '--home', home]);
      let agent: ChildProcess | undefined;
      return {
        name,
        id: r.nodeId,
        home,
        async start(services = ['shell', 'jobs']) {
          agent = await daemon(['node', 'run', '--home', home], 'tunnel up');
          children.push(agent);
          for (let i = 0; i < 100; i++) {
            const nodes = JSON.parse(await burrowOk(['admin', 'nodes', '--json', '--home', adminHome])) as { id: string; online: boolean; services: string[] }[];
            const me = nodes.find((n) => n.id === r.nodeId);
            if (me?.online && services.every((s) => me.services.includes(s))) return;
            await new Promise((res) => setTimeout(res, 100));
          }
          throw new Error(`node ${name} did not come online with ${services.join(', ')}`);
        },
        async stop() {
          await stopProcess(agent);
          agent = undefined;
          // Wait until the server has seen the tunnel go, so work queued next waits for the node.
          for (let i = 0; i < 100; i++) {
            const nodes = JSON.parse(await burrowOk(['admin', 'nodes', '--json', '--home', adminHome])) as { id: string; online: boolean }[];
            if (!nodes.find((n) => n.id === r.nodeId)?.online) return;
            await new Promise((res) => setTimeout(res, 100));
          }
          throw new Error(`the server still lists node ${name} online: ${await burrowOk(["admin", "audit", "--json", "--limit", "30", "--home", adminHome])}`);
        },
      };
    },
    async close() {
      for (const c of children.reverse()) await stopProcess(c);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
