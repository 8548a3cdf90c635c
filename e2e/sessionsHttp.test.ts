import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { SessionStack } from './harness/sessionStack.js';
import { CHUNK, FakeApplianceWebui } from './sessionWebui.js';

const MiB = 1024 * 1024;
// Long enough that none of the 200 sessions the limit test opens at once idles out before
// it asks for the 201st, even on a loaded machine (opening them took 11 s at load 15).
const IDLE_MS = 15_000;
const webui = new FakeApplianceWebui();
let stack: SessionStack;
const browsers: SessionBrowser[] = [];

/** Opens an http session on `service` through the API and enters it with its token. */
async function enter(service = 'webui'): Promise<{ s: SessionView; b: SessionBrowser; tokenPath: string }> {
  const r = await stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName, service });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const url = new URL(r.body.url);
  const b = new SessionBrowser(url.origin);
  browsers.push(b);
  const first = await b.request(url.pathname + url.search);
  assert.equal(first.status, 303, 'the token is exchanged for a cookie');
  assert.equal(first.headers.location, '/', 'and the browser is sent on without the token');
  assert.ok(b.jar.has(`burrow_s_${r.body.id}`), 'the cookie is named for the session');
  return { s: r.body, b, tokenPath: url.pathname + url.search };
}

/** Whether something accepts connections on 127.0.0.1:port. */
function accepts(port: number, localAddress = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ port, host: '127.0.0.1', localAddress });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Whether we can bind the port ourselves, i.e. the server released it. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function audit(action: string): Promise<{ action: string; detail: Record<string, unknown>; result: string }[]> {
  const r = await stack.request<{ action: string; detail: Record<string, unknown>; result: string }[]>('GET', `/v1/audit?action=${action}&limit=500`);
  return r.body;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

before(async () => {
  await webui.start();
  stack = await SessionStack.start({
    services: { webui: `127.0.0.1:${webui.httpPort}`, webuis: `https://127.0.0.1:${webui.httpsPort}`, echo: `127.0.0.1:${webui.tcpPort}` },
    serverConfig: { sessionIdleMs: IDLE_MS, maxSessions: 200, maxSessionsPerUser: 250, maxSessionsPerNode: 250 },
  });
});

after(async () => {
  for (const b of browsers) b.close();
  await stack?.close();
  await webui.stop();
});

describe('http sessions through a real server and node', () => {
  it('keeps the node WebUI cookies, strips ours, and gives the WebUI its own Host', async () => {
    const { s, b } = await enter();
    const login = await b.request('/login');
    assert.equal(login.status, 200);
    assert.deepEqual(login.headers['set-cookie'], [`burrow_w_${s.id}.webui_sid=s3cr3t; Path=/; HttpOnly`, 'webui_lang=en; Path=/'], 'HttpOnly ones are kept to the session; Domain is dropped');
    const echo = JSON.parse((await b.request('/echo-headers?x=1')).body.toString()) as { host: string; cookie: string; url: string };
    assert.equal(echo.host, `127.0.0.1:${webui.httpPort}`);
    assert.equal(echo.cookie, 'webui_sid=s3cr3t; webui_lang=en', 'the session cookie never reaches the node');
    assert.equal(echo.url, '/echo-headers?x=1');
  });

  it('rewrites a redirect to the WebUI own address onto the session port', async () => {
    const { b } = await enter();
    const r = await b.request('/redirect');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `${b.origin}/landed?from=redirect`);
    assert.equal((await b.request('/landed?from=redirect')).body.toString(), 'landed ?from=redirect');
  });

  it('relays a WebSocket echo with the Origin the WebUI expects', async () => {
    const { b } = await enter();
    const ws = new WebSocket(`${b.origin.replace('https', 'wss')}/ws`, { rejectUnauthorized: false, localAddress: '127.0.0.1', headers: { cookie: b.cookie }, origin: b.origin });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hello'));
      ws.once('message', (m: Buffer) => resolve(m.toString()));
      ws.once('error', reject);
    });
    ws.close();
    assert.equal(reply, `echo:hello origin:http://127.0.0.1:${webui.httpPort}`);
  });

  it('streams a 200 MiB download and a 50 MiB upload intact', async () => {
    const { b } = await enter();
    const expected = createHash('sha256');
    for (let i = 0; i < 200; i++) expected.update(CHUNK);
    const got = createHash('sha256');
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    const down = await b.request('/download?mib=200', { sink: (c) => { bytes += c.length; got.update(c); } });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(`# 200 MiB download: ${(200 / secs).toFixed(1)} MiB/s\n`);
    assert.equal(down.status, 200);
    assert.equal(bytes, 200 * MiB);
    assert.equal(got.digest('hex'), expected.digest('hex'));

    let sent = 0;
    const upload = Readable.from((function* () {
      while (sent < 50) {
        sent++;
        yield CHUNK;
      }
    })());
    const up = await b.request('/upload', { method: 'POST', body: upload });
    const r = JSON.parse(up.body.toString()) as { bytes: number; sha256: string };
    assert.equal(r.bytes, 50 * MiB);
    assert.equal(r.sha256, sha256(Buffer.concat(Array.from({ length: 50 }, () => CHUNK))));
  });

  it('speaks TLS to a self-signed HTTPS WebUI', async () => {
    const { b } = await enter('webuis');
    const r = await b.request('/redirect');
    assert.equal(r.headers.location, `${b.origin}/landed?from=redirect`, 'https://own-address redirects are rewritten too');
    const echo = JSON.parse((await b.request('/echo-headers')).body.toString()) as { host: string };
    assert.equal(echo.host, `127.0.0.1:${webui.httpsPort}`);
    const down = await b.request('/download?mib=4');
    assert.equal(down.body.length, 4 * MiB);
  });
});

describe('who gets in', () => {
  it('refuses another source address, even with the token or the cookie, and audits it', async () => {
    const r = await stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName, service: 'webui' });
    const url = new URL(r.body.url);
    const stranger = new SessionBrowser(url.origin, '127.0.0.2');
    browsers.push(stranger);
    const withToken = await stranger.request(url.pathname + url.search);
    assert.equal(withToken.status, 403);
    assert.match(withToken.body.toString(), /403 Forbidden/);
    // The token was not spent by the refused attempt: the owner still gets in, then the stranger copies the cookie.
    const owner = new SessionBrowser(url.origin);
    browsers.push(owner);
    assert.equal((await owner.request(url.pathname + url.search)).status, 303);
    for (const [k, v] of owner.jar) stranger.jar.set(k, v);
    assert.equal((await stranger.request('/echo-headers')).status, 403);
    const denies = (await audit('session.deny')).filter((a) => a.detail.sessionId === r.body.id);
    assert.ok(denies.length >= 2 && denies.every((a) => a.result === 'denied'), 'each refusal is audited');
  });

  it('refuses the right address without token or cookie, a spent token, and a wrong cookie', async () => {
    const { s, b, tokenPath } = await enter();
    const bare = new SessionBrowser(b.origin);
    browsers.push(bare);
    assert.equal((await bare.request('/echo-headers')).status, 403);
    bare.jar.set(`burrow_s_${s.id}`, 'forged');
    assert.equal((await bare.request('/echo-headers')).status, 403);
    const again = new SessionBrowser(b.origin);
    browsers.push(again);
    // enter() spent this session's token: the same token again is refused.
    assert.equal((await again.request(tokenPath)).status, 403);
    assert.equal(again.jar.size, 0, 'and earns no cookie');
  });

  it("never sends one session's WebUI login cookie to another session's node", async () => {
    const a = await enter();
    assert.equal((await a.b.request('/login')).status, 200);
    const c = await enter();
    // One browser holds one cookie jar per host, whatever the port: session C is sent A's cookies too.
    for (const [k, v] of a.b.jar) if (!c.b.jar.has(k)) c.b.jar.set(k, v);
    const echo = JSON.parse((await c.b.request('/echo-headers')).body.toString()) as { cookie: string | null };
    assert.equal(echo.cookie, 'webui_lang=en', "A's HttpOnly login cookie stays with A; only the script-readable one is shared");
    const own = JSON.parse((await a.b.request('/echo-headers')).body.toString()) as { cookie: string | null };
    assert.equal(own.cookie, 'webui_sid=s3cr3t; webui_lang=en', 'A still gets its own');
  });

  it('keeps each session to its own cookie across ports of one host', async () => {
    const a = await enter();
    const c = await enter();
    const cross = new SessionBrowser(c.b.origin);
    browsers.push(cross);
    for (const [k, v] of a.b.jar) cross.jar.set(k, v);
    assert.equal((await cross.request('/echo-headers')).status, 403, "session A's cookie does not open session B");
  });
});

describe('lifetime', () => {
  it('closes after the idle timeout, refuses and releases the port', async () => {
    const { s, b } = await enter();
    assert.equal((await b.request('/landed')).status, 200);
    b.close();
    let state = 'open';
    for (let i = 0; i < (IDLE_MS + 10_000) / 250 && state === 'open'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const all = await stack.request<SessionView[]>('GET', '/v1/sessions?all=true');
      state = all.body.find((x) => x.id === s.id)?.state ?? 'missing';
    }
    const closed = (await stack.request<SessionView[]>('GET', '/v1/sessions?all=true')).body.find((x) => x.id === s.id);
    assert.equal(closed?.closeReason, 'idle', `idle after ${IDLE_MS} ms`);
    assert.equal(await accepts(s.port), false);
    assert.equal(await bindable(s.port), true, 'the port is released');
  });

  it('closes on request with bytes and duration audited, and refuses afterwards', async () => {
    const { s, b } = await enter();
    await b.request('/download?mib=1');
    b.close();
    assert.equal((await stack.request('DELETE', `/v1/sessions/${s.id}`)).status, 204);
    assert.equal(await accepts(s.port), false);
    assert.equal(await bindable(s.port), true);
    const entry = (await audit('session.close')).find((a) => a.detail.sessionId === s.id);
    assert.equal(entry?.detail.reason, 'closed-by-user');
    assert.ok((entry?.detail.bytesDown as number) > MiB, 'bytes relayed are recorded');
    assert.equal(typeof entry?.detail.durationMs, 'number');
  });

  it('extends a session through the CLI', async () => {
    const { s } = await enter();
    const out = JSON.parse(await stack.admin(['session', 'extend', s.id, '--json'])) as SessionView;
    assert.ok(Date.parse(out.expiresAt) >= Date.parse(s.expiresAt));
    await stack.admin(['session', 'close', s.id]);
  });

  it('opens 200 sessions at once on distinct ports inside the range, then says SESSION_LIMIT', async () => {
    const open = (await stack.request<SessionView[]>('GET', '/v1/sessions')).body;
    await Promise.all(open.map((o) => stack.request('DELETE', `/v1/sessions/${o.id}`)));
    const rs = await Promise.all(Array.from({ length: 200 }, () => stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName })));
    try {
      assert.deepEqual([...new Set(rs.map((r) => r.status))], [201]);
      const ports = rs.map((r) => r.body.port);
      assert.equal(new Set(ports).size, 200, 'all ports distinct');
      const [lo, hi] = stack.sessionRange;
      assert.ok(ports.every((p) => p >= lo && p <= hi), 'all ports inside the range');
      const over = await stack.request<{ error: { code: string; message: string } }>('POST', '/v1/sessions', { node: stack.nodeName });
      assert.equal(over.status, 429);
      assert.equal(over.body.error.code, 'SESSION_LIMIT');
    } finally {
      // Whatever failed, the next tests start with no sessions open.
      const open = (await stack.request<SessionView[]>('GET', '/v1/sessions')).body;
      await Promise.all(open.map((o) => stack.request('DELETE', `/v1/sessions/${o.id}`)));
    }
  });
});

describe('logout', () => {
  it('closes the user’s sessions and releases their ports (runs last: it ends the admin’s sign-in)', async () => {
    const { s, b } = await enter();
    assert.equal((await b.request('/landed')).status, 200);
    assert.equal((await stack.request('POST', '/v1/auth/logout')).status, 204);
    const afterLogout = await b.request('/landed').then((x) => x.status, () => 'refused');
    assert.equal(afterLogout, 'refused', 'the session port is gone');
    assert.equal(await bindable(s.port), true, 'and free');
  });
});
