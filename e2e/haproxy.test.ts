import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { freePort } from './harness/freePort.js';
import { Haproxy, type HaproxyLayout } from './harness/haproxy.js';
import { ServerStack } from './harness/serverStack.js';
import { makeTempDir } from './harness/tempDir.js';
import { waitFor } from './harness/waitFor.js';
import { FakeApplianceWebui } from './sessionWebui.js';

/** HAProxy and burrow on different loopback addresses, so they can share the session port numbers. */
const FRONT = '127.0.0.20';
const BACK = '127.0.0.21';
/** The address HAProxy connects from: the only one in proxyProtocolFrom. */
const BALANCER = '127.0.0.10';
/** Two clients behind HAProxy, told apart only by the PROXY protocol. */
const ALICE = '127.0.0.2';
const MALLORY = '127.0.0.3';

interface AuditRow { action: string; sourceIp: string | null; result: string; detail: Record<string, unknown> }

/** One burrow server behind a real HAProxy, with one node that dials through HAProxy too. */
class BalancedStack extends ServerStack {
  haproxy?: Haproxy;
  layout?: HaproxyLayout;

  static async start(webuiPort: number): Promise<BalancedStack> {
    const tmp = await makeTempDir('burrow-haproxy-');
    const s = new BalancedStack(tmp.path, tmp.remove);
    return s.startOrClose(async () => {
      const [frontPort, backPort] = [await freePort(), await freePort()];
      await s.initServer({
        sessionPorts: 100,
        serverConfig: { listen: `${BACK}:${backPort}`, publicUrl: `https://${FRONT}:${frontPort}`, sessionHost: BACK, proxyProtocolFrom: [`${BALANCER}/32`] },
      });
      s.layout = { front: FRONT, back: BACK, source: BALANCER, frontPort, backPort, sessionPorts: s.sessionRange };
      // Up directly first (an unlisted address needs no header), so HAProxy's first checks find it.
      s.url = `https://${BACK}:${backPort}`;
      await s.startServer();
      s.haproxy = await Haproxy.start(s.layout);
      await waitFor('HAProxy\'s health check of /healthz to pass', async () => (await s.haproxy?.mainStatus()) === 'UP' && (await s.haproxy?.command('show stat'))?.includes('L7OK'), { timeoutMs: 20_000 });
      s.url = `https://${FRONT}:${frontPort}`;
      await s.login();
      const node = await s.enroll('n1', await s.enrollToken({ autoApprove: true }), { services: { webui: `127.0.0.1:${webuiPort}` } });
      s.runAgent(node);
      await s.waitOnline(node.id, true, 20_000);
    });
  }

  /** Kills HAProxy, then everything else. */
  protected override async closeOwn(): Promise<void> {
    await this.haproxy?.stop();
  }

  /** An API call as the admin, through HAProxy, from `localAddress`. */
  call<T>(method: string, path: string, localAddress: string, body?: unknown, auth = true): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(new URL(path, this.url), {
        method,
        localAddress,
        agent: false,
        rejectUnauthorized: false,
        headers: { ...(auth ? { authorization: `Bearer ${this.apiToken}` } : {}), ...(data ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  async audit(action: string): Promise<AuditRow[]> {
    return (await this.call<AuditRow[]>('GET', `/v1/audit?action=${action}&limit=500`, '127.0.0.1')).body;
  }
}

/** A PROXY protocol v2 header that says the connection comes from `ip`:`port`. */
function proxyV2(ip: string, port: number): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(ip.split('.').map(Number)).copy(body, 0);
  Buffer.from(BACK.split('.').map(Number)).copy(body, 4);
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(443, 10);
  return Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a', 'hex'), Buffer.from([0x21, 0x11, 0, 12]), body]);
}

/**
 * Connects straight to burrow (not through HAProxy) from `localAddress`, sends `header`
 * (if any) and then an HTTPS request; resolves with the status, or 'refused' when no TLS
 * connection comes up.
 */
function direct(port: number, localAddress: string, header: Buffer | undefined, path: string, cookie?: string): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const raw = net.connect({ port, host: BACK, localAddress }, () => {
      if (header) raw.write(header);
      const t = tls.connect({ socket: raw, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
        t.write(`GET ${path} HTTP/1.1\r\nHost: ${BACK}\r\nConnection: close\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}\r\n`);
      });
      let text = '';
      t.on('data', (c: Buffer) => (text += c.toString('latin1')));
      t.on('error', () => undefined);
      t.on('close', () => {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
        resolve(m ? Number(m[1]) : 'refused');
      });
    });
    raw.on('error', () => resolve('refused'));
  });
}

const webui = new FakeApplianceWebui();
const browsers: SessionBrowser[] = [];
let stack: BalancedStack;

before(async () => {
  await webui.start();
  stack = await BalancedStack.start(webui.httpPort);
});

after(async () => {
  for (const b of browsers) b.close();
  await stack?.close();
  await webui.stop();
});

describe('behind HAProxy (PROXY protocol v2 from a listed balancer)', () => {
  it('signs in through HAProxy, and the audit shows the real client, never the balancer', async () => {
    const logins = await stack.audit('auth.login');
    assert.ok(logins.some((a) => a.result === 'ok' && a.sourceIp === '127.0.0.1'), JSON.stringify(logins));
    const wrong = await stack.call('POST', '/v1/auth/login', MALLORY, { email: 'admin@e2e.test', password: 'not-the-password' }, false);
    assert.ok(wrong.status >= 400 && wrong.status < 500, String(wrong.status));
    const denied = (await stack.audit('auth.login')).filter((a) => a.result === 'denied');
    assert.deepEqual(denied.map((a) => a.sourceIp), [MALLORY]);
    const connects = await stack.audit('node.connect');
    assert.ok(connects.length >= 1 && connects.every((a) => a.sourceIp === '127.0.0.1'), 'the node dialled through HAProxy from 127.0.0.1');
    const all = (await stack.call<AuditRow[]>('GET', '/v1/audit?limit=500', '127.0.0.1')).body;
    assert.ok(all.every((a) => a.sourceIp !== BALANCER), 'no record names the balancer');
  });

  it('a session port admits only the opener\'s address as seen through the PROXY protocol', async () => {
    const r = await stack.call<SessionView>('POST', '/v1/sessions', ALICE, { node: 'n1', service: 'webui' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const url = new URL(r.body.url);
    assert.equal(url.hostname, FRONT, 'the session URL names HAProxy\'s address');
    const opened = (await stack.audit('session.open')).find((a) => a.detail.sessionId === r.body.id);
    assert.equal(opened?.sourceIp, ALICE);
    const mallory = new SessionBrowser(url.origin, MALLORY);
    const alice = new SessionBrowser(url.origin, ALICE);
    browsers.push(mallory, alice);
    assert.equal((await mallory.request(url.pathname + url.search)).status, 403, 'another client with the link is refused');
    assert.equal((await alice.request(url.pathname + url.search)).status, 303, 'the opener trades the token for a cookie');
    assert.equal((await alice.request('/echo-headers')).status, 200, 'and reaches the WebUI through HAProxy');
    for (const [k, v] of alice.jar) mallory.jar.set(k, v);
    assert.equal((await mallory.request('/echo-headers')).status, 403, 'the cookie does not help from another address');
    const denies = (await stack.audit('session.deny')).filter((a) => a.detail.sessionId === r.body.id);
    assert.ok(denies.length >= 2 && denies.every((a) => a.sourceIp === MALLORY), JSON.stringify(denies));

    // Straight to burrow's session port from an unlisted address, with a header claiming to be Alice: refused.
    assert.equal(await direct(r.body.port, MALLORY, proxyV2(ALICE, 5000), '/', alice.cookie), 'refused');
    // The same without the forged header reaches burrow, which sees Mallory and refuses her.
    assert.equal(await direct(r.body.port, MALLORY, undefined, '/', alice.cookie), 403);
  });

  it('refuses a forged PROXY header from an unlisted address, and a listed balancer without one', async () => {
    const port = stack.layout?.backPort as number;
    assert.equal(await direct(port, MALLORY, proxyV2(ALICE, 5000), '/healthz'), 'refused');
    assert.equal(await direct(port, BALANCER, undefined, '/healthz'), 'refused');
    // Neither is a problem for what is ordinary: an unlisted client without a header, a balancer with one.
    assert.equal(await direct(port, MALLORY, undefined, '/healthz'), 200);
    assert.equal(await direct(port, BALANCER, proxyV2(ALICE, 5000), '/healthz'), 200);
  });
});
