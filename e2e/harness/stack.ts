import { makeTempDir } from './tempDir.js';
import { burrowJson } from './burrowCli.js';
import { ServerStack, type NodeHandle } from './serverStack.js';
import { startWebUi, type WebUi } from './webUi.js';

export type { NodeHandle } from './serverStack.js';

/** How a stack is built. */
export interface StackOptions {
  /** Settings merged into the first node's node.json after enrollment (e.g. faster retries). */
  nodeConfig?: Record<string, unknown>;
  /** Settings merged into server.json before the server first starts. */
  serverConfig?: Record<string, unknown>;
  /** More arguments for `server init` (e.g. `--database postgres://…`). */
  initArgs?: string[];
}

/**
 * A real server, a logged-in admin CLI home, a stand-in WebUI and one enrolled, running
 * node "n1", all on loopback under one temp dir. `close()` stops and removes everything.
 */
export class Stack extends ServerStack {
  private constructor(
    dir: string,
    removeDir: () => Promise<void>,
    readonly webUi: WebUi,
  ) {
    super(dir, removeDir);
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
    return stack.startOrClose(async () => {
      await stack.initServer({ serverConfig: o.serverConfig, ...(o.initArgs ? { initArgs: o.initArgs } : {}) });
      await stack.startServer();
      await stack.login();
      const token = await stack.enrollToken({ autoApprove: true });
      const node = await stack.enrollNode('n1', token, o.nodeConfig);
      stack.runAgent(node);
      await stack.waitOnline(node.id, true);
    });
  }

  /** Enrolls a node named `name` offering the WebUI; `nodeConfig` is merged into its node.json. */
  enrollNode(name: string, token: string, nodeConfig: Record<string, unknown> = {}): Promise<NodeHandle> {
    return this.enroll(name, token, { services: { webui: `127.0.0.1:${this.webUi.port}` }, nodeConfig });
  }

  /** `burrow node status --json` of a node. */
  nodeStatus(node: NodeHandle): Promise<{ agent: string; connected: boolean; lastError: string | null; nextAttemptAt: string | null }> {
    return burrowJson(['node', 'status', '--home', node.home]);
  }

  protected override closeOwn(): Promise<void> {
    return this.webUi.close();
  }
}
