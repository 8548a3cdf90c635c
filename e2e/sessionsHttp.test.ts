import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { SessionStack } from './sessionStack.js';
import { CHUNK, FakeApplianceWebui } from './sessionWebui.js';

const MiB = 1024 * 1024;
const IDLE_MS = 4_000;
const webui = new FakeApplianceWebui();
const stack = new SessionStack();
const browsers: SessionBrowser[] = [];

/** Opens an http session on `service` through the API and enters it with its token. */
async function enter(service = 'webui'): Promise<{ s: SessionView; b: SessionBrowser }> {
  const r = await stack.api<SessionView>('POST', '/v1/sessions', { node: stack.nodeName, service });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const url = new URL(r.body.url);
  const b = new SessionBrowser(url.origin);
  browsers.push(b);
  const first = await b.request(url.pathname + url.search);
  assert.equal(first.status, 303, 'the token is exchanged for a cookie');
  assert.equal(first.headers.location, '/', 'and the browser is sent on without the token');
  assert.ok(b.jar.has(`burrow_s_${r.body.id}`), 'the cookie is named for the session');
  return { s: r.body, b };
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
  const r = await stack.api<{ action: string; detail: Record<string, unknown>; result: string }[]>('GET', `/v1/audit?action=${action}&limit=500`);
  return r.body;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

before(async () => {
  await webui.start();
  await stack.start({
    services: { webui: `127.0.0.1:${webui.httpPort}`, webuis: `https://127.0.0.1:${webui.httpsPort}`, echo: `127.0.0.1:${webui.tcpPort}` },
    serverConfig: { sessionIdleMs: IDLE_MS, maxSessions: 200, maxSessionsPerUser: 250, maxSessionsPerNode: 250 },
  });
});

after(async () => {
  for (const b of browsers) b.close();
  await stack.stop();
  await webui.stop();
});

describe('http sessions through a real server and node', () => {
  it('keeps the node WebUI cookies, strips ours, and gives the WebUI its own Host', async () => {
    const { b } = await enter();
    const login = await b.request('/login');
    assert.equal(login.status, 200);
    assert.deepEqual(login.headers['set-cookie'], ['webui_sid=s3cr3t; Path=/; HttpOnly', 'webui_lang=en; Path=/'], 'Domain is dropped');
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
