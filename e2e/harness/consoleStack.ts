import { ServerStack, type NodeHandle } from './serverStack.js';
import { makeTempDir } from './tempDir.js';
import { totpCode } from './totp.js';
import { startWebUi, type WebUi } from './webUi.js';

/** The heading the node's WebUI shows, for a browser test to look for. */
const WEBUI_TEXT = 'Appliance WebUI: hello from the node';

/**
 * A real burrow server with one enrolled (not yet running) node whose WebUI is a local
 * HTTP server; `startNode()` brings the node online while a browser watches.
 */
export class ConsoleStack extends ServerStack {
  readonly nodeName = 'appliance-1';
  readonly webuiText = WEBUI_TEXT;
  private appliance?: NodeHandle;

  private constructor(
    dir: string,
    removeDir: () => Promise<void>,
    private readonly webUi: WebUi,
  ) {
    super(dir, removeDir);
  }

  /** Starts the stack (`nodeConfig` merged into the node's node.json, `serverConfig` into server.json); everything it starts is stopped by close(). */
  static async start(o: { nodeConfig?: Record<string, unknown>; serverConfig?: Record<string, unknown> } = {}): Promise<ConsoleStack> {
    const tmp = await makeTempDir('burrow-console-e2e-');
    const s = new ConsoleStack(tmp.path, tmp.remove, await startWebUi(`<!doctype html><title>appliance</title><h1>${WEBUI_TEXT}</h1>`));
    return s.startOrClose(async () => {
      await s.initServer({ sessionPorts: 100, ...(o.serverConfig ? { serverConfig: o.serverConfig } : {}) });
      await s.startServer();
      // The previous TOTP step: the browser signs the admin in later with the current one.
      const previousStep = () => totpCode(s.totpSecret, -30);
      await s.login(previousStep).catch(() => s.login(previousStep));
      s.appliance = await s.enroll(s.nodeName, await s.enrollToken({ autoApprove: true }), { services: { webui: `127.0.0.1:${s.webUi.port}` }, ...(o.nodeConfig ? { nodeConfig: o.nodeConfig } : {}) });
    });
  }

  private get node(): NodeHandle {
    if (!this.appliance) throw new Error('the stack did not enroll its node');
    return this.appliance;
  }

  /** Starts the node's agent and waits until the server lists it online. */
  async startNode(): Promise<void> {
    this.runAgent(this.node);
    await this.waitOnline(this.node.id, true, 20_000);
  }

  /** Stops the node's agent (the server then lists it offline). */
  async stopNode(): Promise<void> {
    const agent = this.node.agent;
    this.node.agent = undefined;
    if (agent) await this.procs.stop(agent);
  }

  protected override closeOwn(): Promise<void> {
    return this.webUi.close();
  }
}
