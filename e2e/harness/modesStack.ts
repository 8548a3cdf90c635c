import { join } from 'node:path';
import { burrowJson } from './burrowCli.js';
import { ProcessGroup, type BurrowProcess } from './processGroup.js';
import { ServerStack } from './serverStack.js';
import { makeTempDir } from './tempDir.js';
import { waitUntil } from './waitFor.js';
import { startWebUi, type WebUi } from './webUi.js';

/** A node's view as `burrow admin nodes --json` prints it. */
export interface NodeRow {
  id: string;
  name: string;
  online: boolean;
  mode: string;
  lastSeen: string | null;
  [k: string]: unknown;
}

/** A running agent whose log (stdout and stderr) the test reads and waits on. */
export class Daemon {
  constructor(
    readonly proc: BurrowProcess,
    private readonly group: ProcessGroup,
  ) {}

  /** The child process. */
  get child(): BurrowProcess['child'] {
    return this.proc.child;
  }

  /** Everything it has logged so far. */
  get logs(): string {
    return ProcessGroup.logOf(this.proc);
  }

  /** Resolves when the logs match `re` (counting from `from`), or rejects after `ms`. */
  waitFor(re: RegExp, ms = 15_000, from = 0): Promise<void> {
    return waitUntil(() => re.test(this.logs.slice(from)), ms, `log line ${String(re)}`);
  }

  /** Ends the process (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void> {
    return this.group.stop(this.proc);
  }
}

/**
 * A burrow server with a logged-in admin and a local WebUI for nodes to expose; tests
 * enroll and run their own nodes (connect modes, keys, proxies, status reports).
 */
export class ModesStack extends ServerStack {
  private runs = 0;

  private constructor(
    dir: string,
    removeDir: () => Promise<void>,
    private readonly webUi: WebUi,
  ) {
    super(dir, removeDir);
  }

  /** Inits and starts a server (with `serverConfig` merged into server.json) and logs in. */
  static async start(serverConfig: Record<string, unknown> = {}): Promise<ModesStack> {
    const tmp = await makeTempDir('burrow-modes-');
    const s = new ModesStack(tmp.path, tmp.remove, await startWebUi('hello from the webui'));
    return s.startOrClose(async () => {
      await s.initServer({ serverConfig, sessionPorts: 100, publicUrl: true });
      await s.startServer();
      await s.login();
    });
  }

  /** The server's log so far. */
  get serverLogs(): string {
    return this.server ? ProcessGroup.logOf(this.server) : '';
  }

  /** Enrolls a node (auto-approved) and merges `nodeConfig` into its node.json; returns its home. */
  async enrollNode(name: string, nodeConfig: Record<string, unknown> = {}, serverUrl = this.url): Promise<string> {
    const token = await this.enrollToken({ autoApprove: true });
    const node = await this.enroll(name, token, { services: { webui: `127.0.0.1:${this.webUi.port}` }, nodeConfig, serverUrl });
    return node.home;
  }

  /** Starts `burrow node run` for a node home, at debug level; each run logs to its own file. */
  runNode(home: string, env: NodeJS.ProcessEnv = {}): Daemon {
    const log = join(this.dir, `run-${++this.runs}.log`);
    const proc = this.procs.spawn(`node ${home}`, ['node', 'run', '--home', home], log, { env: { BURROW_LOG_LEVEL: 'debug', ...env } });
    return new Daemon(proc, this.procs);
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

  protected override closeOwn(): Promise<void> {
    return this.webUi.close();
  }
}
