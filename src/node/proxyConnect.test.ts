import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connectThroughProxy, digestAuthorization, parseChallenge } from './proxyConnect.js';
import { noProxyMatches, splitProxyUrl } from './proxySettings.js';

describe('proxyConnect', () => {
  it('parses a Digest challenge, quoted and bare values alike', () => {
    const c = parseChallenge('Digest realm="burrow test", nonce="abc\\"d", qop="auth,auth-int", stale=false');
    assert.equal(c.scheme, 'digest');
    assert.deepEqual(c.params, { realm: 'burrow test', nonce: 'abc"d', qop: 'auth,auth-int', stale: 'false' });
  });

  it('computes the RFC 2617 example response', () => {
    const header = digestAuthorization(
      { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth,auth-int', opaque: '5ccc069c403ebaf9f0171e9517f40e41' },
      'Mufasa',
      'Circle Of Life',
      { method: 'GET', uri: '/dir/index.html' },
      '0a4f113b',
    );
    assert.match(header, /response="6629fae49393a05397450978507c4ef1"/);
    assert.match(header, /qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
  });

  it('splits credentials out of a proxy URL and honours NO_PROXY', () => {
    assert.deepEqual(splitProxyUrl('http://a%40b:p%3Ass@proxy.lan:3128'), { url: 'http://proxy.lan:3128', username: 'a@b', password: 'p:ss' });
    assert.throws(() => splitProxyUrl('socks5://x:1'), /http:\/\//);
    assert.equal(noProxyMatches('localhost,.corp.example', 'burrow.corp.example'), true);
    assert.equal(noProxyMatches('corp.example', 'corp.example'), true);
    assert.equal(noProxyMatches('corp.example', 'notcorp.example'), false);
    assert.equal(noProxyMatches('*', 'anything'), true);
    assert.equal(noProxyMatches(undefined, 'x'), false);
  });

  it('says clearly when the proxy cannot be reached', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    await assert.rejects(connectThroughProxy({ url: `http://127.0.0.1:${port}` }, 'example.com', 443), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SERVER_UNREACHABLE');
      assert.match(err.message, /Cannot reach the proxy 127\.0\.0\.1:\d+: ECONNREFUSED/);
      return true;
    });
  });
});
