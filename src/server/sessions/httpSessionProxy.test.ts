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
import { HttpSessionProxy } from './httpSessionProxy.js';
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
});
