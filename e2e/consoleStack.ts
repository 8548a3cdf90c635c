import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The repository root, seen from dist/e2e. */
export const REPO = new URL('../../', import.meta.url).pathname;
const BURROW = join(REPO, 'bin', 'burrow');

/** The first administrator's sign-in. */
export const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The current TOTP code of a secret, or of the step `offsetSeconds` away, from the real oathtool. */
export async function totp(secret: string, offsetSeconds = 0): Promise<string> {
  const when = offsetSeconds === 0 ? [] : ['-N', `now ${offsetSeconds < 0 ? '-' : '+'} ${Math.abs(offsetSeconds)} seconds`];
  const { stdout } = await run('oathtool', ['--totp', '-b', ...when, secret]);
  return stdout.trim();
}

/**
 * A real burrow server with one enrolled (not yet running) node whose WebUI is a local
 * HTTP server; `startNode()` brings the node online while a browser watches.
 */
export interface ConsoleStack {
  url: string;
  totpSecret: string;
  nodeName: string;
  webuiText: string;
  startNode(): Promise<void>;
  /** Stops the node's agent (the server then lists it offline). */
  stopNode(): Promise<void>;
  close(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not log ${pattern} in time:\n${seen.slice(-2000)}`)), timeoutMs);
    const on = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stderr?.off('data', on);
        child.stdout?.off('data', on);
        resolve();
      }
    };
    child.stderr?.on('data', on);
    child.stdout?.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${seen.slice(-2000)}`));
    });
  });
}

/** Starts the stack; everything it starts is stopped by close(). */
export async function startConsoleStack(): Promise<ConsoleStack> {
  const dir = await mkdtemp(join(tmpdir(), 'burrow-console-e2e-'));
  const children: ChildProcess[] = [];
  const webuiText = 'Appliance WebUI: hello from the node';
  const webui = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>appliance</title><h1>${webuiText}</h1>`);
  });
  await new Promise<void>((r) => webui.listen(0, '127.0.0.1', r));
  const webuiPort = (webui.address() as net.AddressInfo).port;
  const close = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    webui.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const base = 42000 + Math.floor(Math.random() * 200) * 100;
    const pwFile = join(dir, 'pw');
    await writeFile(pwFile, ADMIN.password, { mode: 0o600 });
    const burrow = (...args: string[]) => run(process.execPath, [BURROW, ...args], { cwd: REPO });
    const init = JSON.parse(
      (await burrow('server', 'init', '--home', join(dir, 's'), '--listen', `127.0.0.1:${port}`, '--admin-email', ADMIN.email, '--admin-password-file', pwFile, '--session-ports', `${base}-${base + 99}`, '--json')).stdout,
    ) as { url: string; totpSecret: string; fingerprint: string };
    const server = spawn(process.execPath, [BURROW, 'server', 'start', '--home', join(dir, 's')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    await waitForLine(server, /burrow server started/, 'server');
    // The previous TOTP step: the browser signs the admin in later with the current one.
    const login = async () =>
      burrow('admin', 'login', '--home', join(dir, 'a'), '--server', init.url, '--email', ADMIN.email, '--password-file', pwFile, '--totp', await totp(init.totpSecret, -30), '--fingerprint', init.fingerprint);
    await login().catch(login);
    const token = JSON.parse((await burrow('admin', 'enroll-token', 'create', '--home', join(dir, 'a'), '--auto-approve', '--json')).stdout) as { token: string };
    const nodeName = 'appliance-1';
    await burrow('node', 'enroll', init.url, '--token', token.token, '--name', nodeName, '--service', `webui=127.0.0.1:${webuiPort}`, '--home', join(dir, 'n'));
    let agent: ChildProcess | undefined;
    return {
      url: init.url,
      totpSecret: init.totpSecret,
      nodeName,
      webuiText,
      async startNode() {
        const node = spawn(process.execPath, [BURROW, 'node', 'run', '--home', join(dir, 'n')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(node);
        agent = node;
        await waitForLine(node, /tunnel up/, 'node');
      },
      async stopNode() {
        const node = agent;
        agent = undefined;
        if (!node || node.exitCode !== null) return;
        const gone = new Promise((r) => node.once('exit', r));
        node.kill('SIGTERM');
        await gone;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
