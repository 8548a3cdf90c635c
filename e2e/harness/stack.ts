import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestJson } from '../../src/shared/pinnedHttps.js';
import type { NodeView } from '../../src/shared/protocol.js';
import { burrowJson, burrowOk } from './burrowCli.js';
import { freePort, sessionPortRange } from './freePort.js';
import { ProcessGroup, type BurrowProcess } from './processGroup.js';
import { makeTempDir } from './tempDir.js';
import { totpCode } from './totp.js';
import { waitFor } from './waitFor.js';
import { startWebUi, type WebUi } from './webUi.js';

/** What `burrow server init --json` prints. */
interface InitOutput {
  url: string;
  adminEmail: string;
  totpSecret: string;
  fingerprint: string;
}

/** An enrolled node: its home and id, and its agent process once it runs. */
export interface NodeHandle {
  name: string;
  home: string;
  id: string;
  status: 'pending' | 'approved';
  agent?: BurrowProcess;
}

/** How a stack is built. */
export interface StackOptions {
  /** Settings merged into the first node's node.json after enrollment (e.g. faster retries). */
  nodeConfig?: Record<string, unknown>;
  /** Settings merged into server.json before the server first starts. */
  serverConfig?: Record<string, unknown>;
}

const ADMIN_EMAIL = 'admin@e2e.test';
const ADMIN_PASSWORD = 'e2e-password-long-enough';

/**
 * A real server, a logged-in admin CLI home, a stand-in WebUI and one enrolled, running
 * node "n1", all on loopback under one temp dir. `close()` stops and removes everything.
 */
export class Stack {
  readonly procs = new ProcessGroup();
  readonly nodes: NodeHandle[] = [];
  server?: BurrowProcess;
  url = '';
  pin = '';
  totpSecret = '';
  /** The admin's API token (from the CLI login), for raw API requests. */
  apiToken = '';

  private constructor(
    readonly dir: string,
    private readonly removeDir: () => Promise<void>,
    readonly webUi: WebUi,
  ) {}

  /** The server's home directory. */
  get serverHome(): string {
    return join(this.dir, 'server');
  }

  /** The admin CLI's home directory (holds cli.json after login). */
  get adminHome(): string {
    return join(this.dir, 'admin');
  }

  /** The first node, enrolled by `start`. */
  get node(): NodeHandle {
    const n = this.nodes[0];
    if (!n) throw new Error('the stack has no node');
    return n;
  }

  /** init + start + login + enroll-token + WebUI + node enroll + node run, then waits until the node is online. */
  static async start(o: StackOptions = {}): Promise<Stack> {
    const tmp = await makeTempDir();
    const stack = new Stack(tmp.path, tmp.remove, await startWebUi());
    try {
      await stack.init(o.serverConfig);
      await stack.startServer();
      await stack.login();
      const token = await stack.enrollToken({ autoApprove: true });
      const node = await stack.enrollNode('n1', token, o.nodeConfig);
      stack.runAgent(node);
      await stack.waitOnline(node.id, true);
      return stack;
    } catch (err) {
      process.stderr.write(`${stack.procs.logTails()}\n`);
      await stack.close();
      throw err;
    }
  }

  private async init(serverConfig: Record<string, unknown> = {}): Promise<void> {
    const pw = join(this.dir, 'admin-password');
    await writeFile(pw, ADMIN_PASSWORD, { mode: 0o600 });
    const port = await freePort();
    const r = await burrowJson<InitOutput>(['server', 'init', '--home', this.serverHome, '--listen', `127.0.0.1:${port}`, '--admin-email', ADMIN_EMAIL, '--admin-password-file', pw, '--session-ports', sessionPortRange()]);
    Object.assign(this, { url: r.url, pin: r.fingerprint, totpSecret: r.totpSecret });
    // Session ports bind to every interface by default; tests keep them on loopback.
    const configPath = join(this.serverHome, 'server.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, sessionHost: '127.0.0.1', ...serverConfig }, null, 2));
  }

  /** Starts `burrow server start` (optionally with a lower open-files limit) and waits until /healthz answers. */
  async startServer(o: { maxOpenFiles?: number } = {}): Promise<void> {
    const proc = this.procs.spawn('server', ['server', 'start', '--home', this.serverHome], join(this.dir, 'server.log'), o);
    this.server = proc;
    await waitFor('the server to answer /healthz', async () => {
      if (proc.child.exitCode !== null) throw new Error(`the server exited with ${proc.child.exitCode}`);
      return (await this.api<{ ok: boolean }>('GET', '/healthz', undefined, false)).ok;
    });
  }

  /** Kills the server with SIGKILL (a crash) and waits for it to be gone. */
  async killServer(): Promise<void> {
    if (this.server) await this.procs.kill(this.server);
  }

  private async login(): Promise<void> {
    await burrowOk(['admin', 'login', '--home', this.adminHome, '--server', this.url, '--email', ADMIN_EMAIL, '--password-file', join(this.dir, 'admin-password'), '--totp', await totpCode(this.totpSecret), '--fingerprint', this.pin]);
    const creds = JSON.parse(await readFile(join(this.adminHome, 'cli.json'), 'utf8')) as { token: string };
    this.apiToken = creds.token;
  }

  /** Runs `burrow admin …  --home <admin>` and returns stdout; fails on a non-zero exit. */
  admin(args: string[]): Promise<string> {
    return burrowOk(['admin', ...args, '--home', this.adminHome]);
  }

  /** Runs `burrow admin … --json` and parses the answer. */
  adminJson<T>(args: string[]): Promise<T> {
    return burrowJson<T>(['admin', ...args, '--home', this.adminHome]);
  }

  /** Calls the REST API directly, with the admin's token unless `auth` is false. */
  api<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    return requestJson<T>(new URL(path, this.url).toString(), { method, pin: this.pin, timeoutMs: 5_000, ...(auth ? { token: this.apiToken } : {}), ...(body === undefined ? {} : { body }) });
  }

  /** Creates an enrollment token through the CLI. */
  async enrollToken(o: { autoApprove?: boolean; uses?: number } = {}): Promise<string> {
    const args = ['enroll-token', 'create', '--uses', String(o.uses ?? 1), ...(o.autoApprove ? ['--auto-approve'] : [])];
    return (await this.adminJson<{ token: string }>(args)).token;
  }

  /** Enrolls a node named `name` offering the WebUI; `nodeConfig` is merged into its node.json. */
  async enrollNode(name: string, token: string, nodeConfig: Record<string, unknown> = {}): Promise<NodeHandle> {
    const home = join(this.dir, `node-${name}`);
    const r = await burrowJson<{ nodeId: string; status: 'pending' | 'approved' }>(['node', 'enroll', this.url, '--token', token, '--name', name, '--service', `webui=127.0.0.1:${this.webUi.port}`, '--home', home]);
    if (Object.keys(nodeConfig).length) {
      const path = join(home, 'node.json');
      const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      await writeFile(path, JSON.stringify({ ...config, ...nodeConfig }, null, 2));
    }
    const node: NodeHandle = { name, home, id: r.nodeId, status: r.status };
    this.nodes.push(node);
    return node;
  }

  /** Starts `burrow node run` for an enrolled node. */
  runAgent(node: NodeHandle): BurrowProcess {
    node.agent = this.procs.spawn(`node ${node.name}`, ['node', 'run', '--home', node.home], join(this.dir, `node-${node.name}.log`));
    return node.agent;
  }

  /** Waits until the API lists the node as online (or offline), and returns its view. */
  waitOnline(nodeId: string, online: boolean, timeoutMs = 15_000): Promise<NodeView> {
    return waitFor(`node ${nodeId} to be ${online ? 'online' : 'offline'}`, async () => {
      const v = await this.api<NodeView>('GET', `/v1/nodes/${nodeId}`);
      return v.online === online ? v : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  /** `burrow node status --json` of a node. */
  nodeStatus(node: NodeHandle): Promise<{ agent: string; connected: boolean; lastError: string | null; nextAttemptAt: string | null }> {
    return burrowJson(['node', 'status', '--home', node.home]);
  }

  /** Stops every process and removes the temp dir; safe to call twice. */
  async close(): Promise<void> {
    await this.procs.stopAll();
    await this.webUi.close();
    await this.removeDir();
  }
}
