import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestJson } from '../../src/shared/pinnedHttps.js';
import type { NodeView } from '../../src/shared/protocol.js';
import { burrowJson, burrowOk } from './burrowCli.js';
import { freePort, sessionPortRange } from './freePort.js';
import { ProcessGroup, type BurrowProcess } from './processGroup.js';
import { totpCode } from './totp.js';
import { waitFor } from './waitFor.js';

/** The first administrator's sign-in, as `server init` creates it (a browser test types it in). */
export const ADMIN = { email: 'admin@e2e.test', password: 'e2e-password-long-enough' };

/** What `burrow server init --json` prints. */
interface InitOutput {
  url: string;
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

/** How the server of a stack is made. */
export interface ServerOptions {
  /** Settings merged into server.json before the server first starts. */
  serverConfig?: Record<string, unknown>;
  /** How many session ports the server gets (a random block; 500 unless told). */
  sessionPorts?: number;
  /** Passes the listen address as `--public-url` to `server init`. */
  publicUrl?: boolean;
  /** `--session-domain` for `server init`: each WebUI session then has a host of its own under it. */
  sessionDomain?: string;
  /** More arguments for `server init` (e.g. `--database postgres://…`). */
  initArgs?: string[];
}

/** How a node is enrolled. */
export interface EnrollOptions {
  /** Its services, name -> target. */
  services: Record<string, string>;
  /** Settings merged into its node.json after enrollment. */
  nodeConfig?: Record<string, unknown>;
  /** The server URL the node enrolls with (and later dials): the stack's own unless told. */
  serverUrl?: string;
}

/**
 * A real server and a logged-in admin CLI home under one temp dir, with the steps every
 * e2e stack takes (enroll a node, run its agent, wait until it is online). Specialised
 * stacks extend it with what is theirs; `close()` stops and removes everything.
 */
export class ServerStack {
  readonly procs = new ProcessGroup();
  readonly nodes: NodeHandle[] = [];
  server?: BurrowProcess;
  url = '';
  pin = '';
  totpSecret = '';
  /** The admin's API token (from the CLI login), for raw API requests. */
  apiToken = '';
  /** The session port range the server was given, inclusive. */
  sessionRange: [number, number] = [0, 0];

  protected constructor(
    readonly dir: string,
    private readonly removeDir: () => Promise<void>,
  ) {}

  /** The server's home directory. */
  get serverHome(): string {
    return join(this.dir, 'server');
  }

  /** The admin CLI's home directory (holds cli.json after login). */
  get adminHome(): string {
    return join(this.dir, 'admin');
  }

  /** The file holding the admin's password. */
  get passwordFile(): string {
    return join(this.dir, 'admin-password');
  }

  /**
   * Runs `build` (the stack's own start-up); if it fails, prints the daemons' log tails,
   * closes the stack and rethrows, so a half-built stack leaves nothing behind.
   */
  protected async startOrClose(build: () => Promise<void>): Promise<this> {
    try {
      await build();
      return this;
    } catch (err) {
      process.stderr.write(`${this.procs.logTails()}\n`);
      await this.close();
      throw err;
    }
  }

  /** `server init` into a fresh home, with session ports kept on loopback. */
  protected async initServer(o: ServerOptions = {}): Promise<void> {
    await writeFile(this.passwordFile, ADMIN.password, { mode: 0o600 });
    const port = await freePort();
    this.sessionRange = sessionPortRange(o.sessionPorts);
    const listen = `127.0.0.1:${port}`;
    const r = await burrowJson<InitOutput>([
      'server', 'init', '--home', this.serverHome, '--listen', listen, ...(o.publicUrl ? ['--public-url', `https://${listen}`] : []),
      '--admin-email', ADMIN.email, '--admin-password-file', this.passwordFile, '--session-ports', this.sessionRange.join('-'),
      ...(o.sessionDomain ? ['--session-domain', o.sessionDomain] : []),
      ...(o.initArgs ?? []),
    ]);
    Object.assign(this, { url: r.url, pin: r.fingerprint, totpSecret: r.totpSecret });
    // Session ports bind to every interface by default; tests keep them on loopback.
    const configPath = join(this.serverHome, 'server.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, sessionHost: '127.0.0.1', ...o.serverConfig }, null, 2));
  }

  /** Starts `burrow server start` (optionally with a lower open-files limit) and waits until /healthz answers. */
  async startServer(o: { maxOpenFiles?: number } = {}): Promise<void> {
    const proc = this.procs.spawn('server', ['server', 'start', '--home', this.serverHome], join(this.dir, 'server.log'), o);
    this.server = proc;
    await waitFor('the server to answer /healthz', async () => {
      if (proc.child.exitCode !== null) throw new Error(`the server exited with ${proc.child.exitCode}`);
      return (await this.api<{ ok: boolean }>('GET', '/healthz', undefined, false)).ok;
    }, { timeoutMs: 20_000 });
  }

  /** Kills the server with SIGKILL (a crash) and waits for it to be gone. */
  async killServer(): Promise<void> {
    if (this.server) await this.procs.kill(this.server);
  }

  /** `admin login` with password and a TOTP code (the current one unless `totp` says otherwise). */
  protected async login(totp: () => Promise<string> = () => totpCode(this.totpSecret)): Promise<void> {
    await burrowOk(['admin', 'login', '--home', this.adminHome, '--server', this.url, '--email', ADMIN.email, '--password-file', this.passwordFile, '--totp', await totp(), '--fingerprint', this.pin]);
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

  /** Enrolls a node named `name` (home `node-<name>`) with `token`. */
  async enroll(name: string, token: string, o: EnrollOptions): Promise<NodeHandle> {
    const home = join(this.dir, `node-${name}`);
    const services = Object.entries(o.services).flatMap(([k, v]) => ['--service', `${k}=${v}`]);
    const r = await burrowJson<{ nodeId: string; status: 'pending' | 'approved' }>(['node', 'enroll', o.serverUrl ?? this.url, '--token', token, '--name', name, ...services, '--home', home]);
    // Shells start in a home of their own, not the test user's: a profile there (pyenv's
    // rehash waits a minute on a lock a killed shell left behind) would stall every shell.
    const shellHome = join(home, 'shell-home');
    await mkdir(shellHome, { recursive: true, mode: 0o700 });
    const path = join(home, 'node.json');
    const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...config, shell: { enabled: true, home: shellHome }, ...o.nodeConfig }, null, 2));
    const node: NodeHandle = { name, home, id: r.nodeId, status: r.status };
    this.nodes.push(node);
    return node;
  }

  /** Starts `burrow node run` for an enrolled node, logging to `node-<name>.log`. */
  runAgent(node: NodeHandle, o: { env?: NodeJS.ProcessEnv } = {}): BurrowProcess {
    node.agent = this.procs.spawn(`node ${node.name}`, ['node', 'run', '--home', node.home], join(this.dir, `node-${node.name}.log`), o);
    return node.agent;
  }

  /** Waits until the API lists the node as online (or offline), and returns its view. */
  waitOnline(nodeId: string, online: boolean, timeoutMs = 15_000): Promise<NodeView> {
    return waitFor(`node ${nodeId} to be ${online ? 'online' : 'offline'}`, async () => {
      const v = await this.api<NodeView>('GET', `/v1/nodes/${nodeId}`);
      return v.online === online ? v : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  /** Stops every process, then what the specialised stack holds, and removes the temp dir; safe to call twice. */
  async close(): Promise<void> {
    await this.procs.stopAll();
    await this.closeOwn();
    await this.removeDir();
  }

  /** Releases what a specialised stack holds besides processes (a WebUI server); must be safe to call twice. */
  protected async closeOwn(): Promise<void> {}
}
