import { runBurrow, burrowOk, type CliResult } from './burrowCli.js';
import type { NodeView } from '../../src/shared/protocol.js';
import { ServerStack, type NodeHandle } from './serverStack.js';
import { makeTempDir } from './tempDir.js';
import { waitFor } from './waitFor.js';

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

/** How long a node may take to come online with its services, or to go offline. */
const NODE_WAIT_MS = 30_000;

/**
 * A server and a logged-in admin whose nodes offer the shell and jobs: tests add nodes
 * (with `burrow node shell|jobs …` run on them first) and start and stop them.
 */
export class ShellStack extends ServerStack {
  private token = '';

  /** Starts a fresh server in a temp dir and logs an admin in with password + TOTP (oathtool); `serverConfig` goes into server.json. */
  static async start(o: { serverConfig?: Record<string, unknown> } = {}): Promise<ShellStack> {
    const tmp = await makeTempDir('burrow-e2e-shell-');
    const s = new ShellStack(tmp.path, tmp.remove);
    return s.startOrClose(async () => {
      await s.initServer({ sessionPorts: 10, ...(o.serverConfig ? { serverConfig: o.serverConfig } : {}) });
      await s.startServer();
      await s.login();
      s.token = await s.enrollToken({ autoApprove: true, uses: 20 });
    });
  }

  /** Runs `burrow ARGS` as the logged-in admin (BURROW_HOME), with an empty stdin and no time bound, in `cwd` if given. */
  cli(args: string[], cwd?: string): Promise<CliResult> {
    return runBurrow(args, { env: { BURROW_HOME: this.adminHome }, input: '', timeoutMs: 0, cwd });
  }

  /** Enrolls a node (auto-approved) without starting it; `setup` runs `burrow node …` commands on it first. */
  async addNode(name: string, setup: string[][] = []): Promise<StackNode> {
    const node = await this.enroll(name, this.token, { services: { webui: '127.0.0.1:9' } });
    for (const args of setup) await burrowOk(['node', ...args, '--home', node.home]);
    return {
      name,
      id: node.id,
      home: node.home,
      start: (services = ['shell', 'jobs']) => this.startNode(node, services),
      stop: () => this.stopNode(node),
    };
  }

  private async startNode(node: NodeHandle, services: string[]): Promise<void> {
    this.runAgent(node);
    await waitFor(`node ${node.name} to come online with ${services.join(', ')}`, async () => {
      const v = await this.api<NodeView>('GET', `/v1/nodes/${node.id}`);
      return v.online && services.every((s) => v.services.includes(s));
    }, { timeoutMs: NODE_WAIT_MS, intervalMs: 100 });
  }

  private async stopNode(node: NodeHandle): Promise<void> {
    if (node.agent) await this.procs.stop(node.agent);
    node.agent = undefined;
    // Wait until the server has seen the tunnel go, so work queued next waits for the node.
    await this.waitOnline(node.id, false, NODE_WAIT_MS).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await this.admin(['audit', '--json', '--limit', '30'])}`);
    });
  }
}
