import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../shared/clock.js';
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
});
