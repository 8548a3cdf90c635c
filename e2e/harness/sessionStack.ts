import https from 'node:https';
import { ServerStack } from './serverStack.js';
import { makeTempDir } from './tempDir.js';

/** What the stack is built with. */
export interface SessionStackOptions {
  /** Extra server.json settings (limits, timeouts). */
  serverConfig?: Record<string, unknown>;
  /** Node services, name -> target. */
  services: Record<string, string>;
}

/** A server, a logged-in admin and one enrolled, connected node "n1" offering `services`. */
export class SessionStack extends ServerStack {
  readonly nodeName = 'n1';

  /** Builds the whole stack; the node is online when it resolves. */
  static async start(o: SessionStackOptions): Promise<SessionStack> {
    const tmp = await makeTempDir('burrow-sessions-');
    const s = new SessionStack(tmp.path, tmp.remove);
    return s.startOrClose(async () => {
      await s.initServer({ serverConfig: o.serverConfig, sessionPorts: 1000 });
      await s.startServer();
      await s.login();
      const node = await s.enroll(s.nodeName, await s.enrollToken({ autoApprove: true }), { services: o.services });
      s.runAgent(node);
      await s.waitOnline(node.id, true, 20_000);
    });
  }

  /**
   * Calls the server API as the admin and resolves with status and parsed body, whatever
   * the status (tests check refusals too).
   */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(new URL(path, this.url), {
        method,
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${this.apiToken}`, ...(data ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }
}
