import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { generate } from 'selfsigned';
import { peerMatchesPin, pinOfPem } from './tlsPin.js';

const peer = (pem: string) => ({ raw: new X509Certificate(pem).raw }) as PeerCertificate;

describe('TLS pins', () => {
  it('pin the key, so a certificate renewed with the same key keeps its pin and a new key does not', async () => {
    const first = await generate([{ name: 'commonName', value: 'a' }], { keyType: 'ec', curve: 'P-256' });
    const renewed = await generate([{ name: 'commonName', value: 'b' }], { keyType: 'ec', curve: 'P-256', keyPair: { privateKey: first.private, publicKey: first.public } });
    const rekeyed = await generate([{ name: 'commonName', value: 'a' }], { keyType: 'ec', curve: 'P-256' });
    assert.match(pinOfPem(first.cert), /^sha256\/[A-Za-z0-9_-]{43}$/);
    assert.equal(pinOfPem(renewed.cert), pinOfPem(first.cert));
    assert.notEqual(pinOfPem(rekeyed.cert), pinOfPem(first.cert));
    assert.equal(peerMatchesPin(peer(renewed.cert), pinOfPem(first.cert)), true);
    assert.equal(peerMatchesPin(peer(rekeyed.cert), pinOfPem(first.cert)), false);
  });

  it('still honour the whole-certificate pins of nodes enrolled before key pins', async () => {
    const c = await generate([{ name: 'commonName', value: 'a' }], { keyType: 'ec', curve: 'P-256' });
    const legacy = `sha256/${createHash('sha256').update(new X509Certificate(c.cert).raw).digest('base64url')}`;
    assert.equal(peerMatchesPin(peer(c.cert), legacy), true);
    assert.equal(peerMatchesPin(undefined, legacy), false);
  });
});
