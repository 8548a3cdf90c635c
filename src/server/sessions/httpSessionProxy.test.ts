import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../shared/log.js';
import { selfSignedCertificate } from '../tlsCertificate.js';
import { HttpSessionProxy } from './httpSessionProxy.js';
import { SessionAdmission } from './sessionAdmission.js';

describe('HttpSessionProxy', () => {
  it('frees its port at close even while a client sits in the TLS handshake', async () => {
    const { cert, key } = await selfSignedCertificate(['localhost']);
    const proxy = new HttpSessionProxy({
      tlsOptions: { cert, key },
      headersTimeoutMs: 30_000,
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
    const stuck = net.connect((proxy.server.address() as AddressInfo).port, '127.0.0.1');
    stuck.on('error', () => undefined);
    await once(stuck, 'connect');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await proxy.close();
    assert.ok(Date.now() - started < 2_000, `close took ${Date.now() - started} ms`);
    assert.equal(proxy.server.listening, false);
    stuck.destroy();
  });
});
