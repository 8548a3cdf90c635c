import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { FakeClock, systemClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { selfSignedCertificate } from '../tlsCertificate.js';
import { enteringPage, HttpSessionProxy } from './httpSessionProxy.js';
import { SessionAdmission } from './sessionAdmission.js';

/** Writes one raw request on a fresh TLS connection and resolves with the answer's head once it is complete. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => s.write(request));
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      parts.push(d);
      const text = Buffer.concat(parts).toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      s.destroy();
      resolve(text);
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed before a whole answer head: ${Buffer.concat(parts).toString('latin1')}`)));
  });
}

describe('HttpSessionProxy', () => {
  it('frees its port at close even while a client sits in the TLS handshake', async () => {
    const { cert, key } = await selfSignedCertificate(['localhost']);
    const proxy = new HttpSessionProxy({
      tlsOptions: { cert, key },
      headersTimeoutMs: 30_000,
      clock: systemClock,
      admission: new SessionAdmission('ses_t', '127.0.0.1'),
      target: { scheme: 'http', host: '127.0.0.1', port: 1 },
      publicOrigin: () => 'https://127.0.0.1:1',
      openUpstream: () => Promise.reject(new Error('no node here')),
      onDenied: () => undefined,
      onActivity: () => undefined,
      log: silentLogger(),
    });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    // Connected, never says hello: Node would wait 120 s for its handshake.
    const accepted = once(proxy.server, 'connection');
    const stuck = net.connect((proxy.server.address() as AddressInfo).port, '127.0.0.1');
    stuck.on('error', () => undefined);
    const cut = once(stuck, 'close');
    await accepted;
    // close() resolves while the client is still mid-handshake (not after Node's 120 s handshake
    // timeout), and the client finds itself cut off: it never hangs up on its own here.
    await proxy.close();
    assert.equal(proxy.server.listening, false);
    await cut;
  });

  it('refuses another origin\'s WebSocket and unsafe requests, with the session cookie, before the WebUI sees them', async () => {
    const seen: string[] = [];
    const webui = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.origin ?? ''}`);
      res.end('ok');
    });
    webui.on('upgrade', (req, socket) => {
      seen.push(`UPGRADE ${req.url} ${req.headers.origin ?? ''}`);
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    webui.listen(0, '127.0.0.1');
    await once(webui, 'listening');
    const webuiPort = (webui.address() as AddressInfo).port;
    const denied: string[] = [];
    const { cert, key } = await selfSignedCertificate(['localhost']);
    const admission = new SessionAdmission('ses_o', '127.0.0.1', 'tok');
    const proxy = new HttpSessionProxy({
      tlsOptions: { cert, key },
      headersTimeoutMs: 30_000,
      clock: new FakeClock(),
      admission,
      target: { scheme: 'http', host: '127.0.0.1', port: webuiPort },
      publicOrigin: (): string => `https://127.0.0.1:${port}`,
      openUpstream: async () => {
        const s = net.connect(webuiPort, '127.0.0.1');
        await once(s, 'connect');
        return s;
      },
      onDenied: (_ip, reason) => denied.push(reason),
      onActivity: () => undefined,
      log: silentLogger(),
    });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    const port: number = (proxy.server.address() as AddressInfo).port;
    const own = `https://127.0.0.1:${port}`;
    try {
      const earned = await exchange(port, 'GET /?burrow_token=tok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const cookie = /set-cookie: ([^;]+)/.exec(earned)?.[1];
      assert.ok(cookie, earned);
      const send = (lines: string) => exchange(port, `${lines}Host: x\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`);
      const upgrade = (origin: string) => exchange(port, `GET /ws HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${origin}\r\n\r\n`);

      assert.match(await upgrade('https://127.0.0.1:1'), /^HTTP\/1\.1 403 /);
      assert.match(await send('POST /csrf HTTP/1.1\r\nSec-Fetch-Site: same-site\r\nContent-Length: 0\r\n'), /^HTTP\/1\.1 403 /);
      assert.match(await send('POST /csrf2 HTTP/1.1\r\nOrigin: https://127.0.0.1:1\r\nContent-Length: 0\r\n'), /^HTTP\/1\.1 403 /);
      assert.deepEqual(seen, [], 'nothing refused reached the WebUI');
      assert.deepEqual(denied, ['cross-origin websocket', 'cross-origin POST', 'cross-origin POST']);

      assert.match(await send(`POST /own HTTP/1.1\r\nSec-Fetch-Site: same-origin\r\nOrigin: ${own}\r\nContent-Length: 0\r\n`), /^HTTP\/1\.1 200 /);
      assert.match(await send('POST /curl HTTP/1.1\r\nContent-Length: 0\r\n'), /^HTTP\/1\.1 200 /);
      assert.match(await upgrade(own), /^HTTP\/1\.1 101 /);
      // The WebUI sees its own origin in place of the session port's, as it would without burrow.
      assert.deepEqual(seen, [`POST /own http://127.0.0.1:${webuiPort}`, 'POST /curl ', `UPGRADE /ws http://127.0.0.1:${webuiPort}`]);
    } finally {
      await proxy.close();
      webui.closeAllConnections();
      webui.close();
    }
  });

  it('with a host of its own, serves only requests naming that host, and keeps the WebUI\'s cookie names', async () => {
    const seen: string[] = [];
    const webui = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.cookie ?? ''}`);
      res.setHeader('set-cookie', ['__Host-sid=s1; Secure; Path=/; HttpOnly', 'theme=dark; Domain=sessions.test']);
      res.end('ok');
    });
    webui.listen(0, '127.0.0.1');
    await once(webui, 'listening');
    const webuiPort = (webui.address() as AddressInfo).port;
    const denied: string[] = [];
    const { cert, key } = await selfSignedCertificate(['*.sessions.test']);
    const proxy = new HttpSessionProxy({
      tlsOptions: { cert, key },
      headersTimeoutMs: 30_000,
      clock: new FakeClock(),
      admission: new SessionAdmission('ses_h', '127.0.0.1', 'tok'),
      target: { scheme: 'http', host: '127.0.0.1', port: webuiPort },
      publicOrigin: (): string => `https://s1.sessions.test:${port}`,
      hostOfItsOwn: true,
      openUpstream: async () => {
        const s = net.connect(webuiPort, '127.0.0.1');
        await once(s, 'connect');
        return s;
      },
      onDenied: (_ip, reason) => denied.push(reason),
      onActivity: () => undefined,
      log: silentLogger(),
    });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    const port: number = (proxy.server.address() as AddressInfo).port;
    try {
      // Another session's name, the console's, none at all: refused before admission, so the link stays unspent.
      for (const host of [`s2.sessions.test:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, 's1.sessions.test']) {
        assert.match(await exchange(port, `GET /?burrow_token=tok HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 421 /, host);
      }
      assert.deepEqual(denied, Array(4).fill('wrong host'));
      const earned = await exchange(port, `GET /app?x=1&burrow_token=tok HTTP/1.1\r\nHost: S1.Sessions.Test:${port}\r\nConnection: close\r\n\r\n`);
      const cookie = /set-cookie: ([^;]+)/.exec(earned)?.[1];
      assert.ok(cookie, earned);
      // Not a redirect: that would stay part of the console's cross-site navigation, which gets no SameSite=Strict cookie.
      assert.match(earned, /^HTTP\/1\.1 200 /);
      const answer = await exchange(port, `GET /page HTTP/1.1\r\nHost: s1.sessions.test:${port}\r\nCookie: ${cookie}; __Host-sid=s1; burrow_w_other.x=1\r\nConnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 200 /);
      // Stored under its own name, on this host alone (no Domain).
      assert.match(answer, /\r\nset-cookie: __Host-sid=s1; Secure; Path=\/; HttpOnly\r\n/i);
      assert.match(answer, /\r\nset-cookie: theme=dark\r\n/i);
      assert.deepEqual(seen, ['/page __Host-sid=s1']);
    } finally {
      await proxy.close();
      webui.closeAllConnections();
      webui.close();
    }
  });

  it('moves the browser on only to a path of the session\'s own, escaped', () => {
    assert.match(enteringPage('/app?a=1&b="<x>'), /content="0;url=\/app\?a=1&amp;b=&quot;&lt;x&gt;"/);
    assert.match(enteringPage('//evil.example/'), /content="0;url=\/"/);
    assert.match(enteringPage('https://evil.example/'), /content="0;url=\/"/);
  });
});
