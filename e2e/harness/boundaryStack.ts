import https from 'node:https';
import type { SessionView } from '../../src/shared/protocol.js';
import { ServerStack, type NodeHandle } from './serverStack.js';
import { makeTempDir } from './tempDir.js';
import { totpCode } from './totp.js';

/** Session hosts under a name Chromium resolves to loopback by itself: no DNS server needed. */
export const SESSION_DOMAIN = 'sessions.localhost';

/** A console sign-in cookie as the server set it. */
export interface ConsoleCookie {
  name: string;
  value: string;
}

/**
 * A server with a session domain, an admin whose CLI is logged in (with the previous TOTP
 * step, so a browser can sign in with the current one), and one online node per tenant,
 * each in a group of its own, offering `webui`.
 */
export class BoundaryStack extends ServerStack {
  readonly tenants = new Map<string, NodeHandle>();

  /** Builds the stack; `webuis` maps tenant name to its WebUI's port. */
  static async start(webuis: Record<string, number>): Promise<BoundaryStack> {
    const tmp = await makeTempDir('burrow-boundary-');
    const s = new BoundaryStack(tmp.path, tmp.remove);
    return s.startOrClose(async () => {
      await s.initServer({ sessionPorts: 200, sessionDomain: SESSION_DOMAIN });
      await s.startServer();
      const previousStep = () => totpCode(s.totpSecret, -30);
      await s.login(previousStep).catch(() => s.login(previousStep));
      for (const [tenant, port] of Object.entries(webuis)) {
        const group = (await s.adminJson<{ id: string }>(['groups', 'create', tenant, '--json'])).id;
        const token = (await s.adminJson<{ token: string }>(['enroll-token', 'create', '--group', group, '--auto-approve', '--json'])).token;
        const node = await s.enroll(`node-${tenant}`, token, { services: { webui: `127.0.0.1:${port}` } });
        s.runAgent(node);
        await s.waitOnline(node.id, true, 20_000);
        s.tenants.set(tenant, node);
      }
    });
  }

  /** Opens a WebUI session on a tenant's node as the admin; the view carries the one-time link. */
  openSession(tenant: string): Promise<SessionView> {
    const node = this.tenants.get(tenant);
    if (!node) throw new Error(`no tenant ${tenant}`);
    return this.api<SessionView>('POST', '/v1/sessions', { node: node.name, service: 'webui' });
  }

  /** Signs a user without an authenticator in to the console (password step) and returns the cookie the server set. */
  consoleCookieOf(email: string, password: string): Promise<ConsoleCookie> {
    return new Promise((resolve, reject) => {
      const req = https.request(new URL('/v1/auth/console/password', this.url), { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        const set = res.headers['set-cookie']?.[0] ?? '';
        const pair = set.slice(0, set.indexOf(';'));
        const eq = pair.indexOf('=');
        if (res.statusCode !== 200 || eq < 1) reject(new Error(`sign-in of ${email} answered ${res.statusCode} with "${set}"`));
        else resolve({ name: pair.slice(0, eq), value: pair.slice(eq + 1) });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ email, password }));
    });
  }
}
