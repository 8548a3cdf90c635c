import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCidr } from '../../shared/cidr.js';
import { TrustedBalancers } from './trustedBalancers.js';

test('only addresses inside a listed block are trusted', () => {
  const b = new TrustedBalancers(['127.0.0.10/32', '10.0.0.0/8', '2001:db8::/32']);
  assert.equal(b.enabled, true);
  for (const ip of ['127.0.0.10', '10.1.2.3', '10.255.255.255', '2001:db8::1', '::ffff:10.0.0.1', '::ffff:127.0.0.10']) assert.equal(b.trusts(ip), true, ip);
  for (const ip of ['127.0.0.11', '127.0.0.1', '11.0.0.1', '2001:db9::1', '', 'not-an-ip', '::1']) assert.equal(b.trusts(ip), false, ip);
});

test('a bare address is a block of one', () => {
  const b = new TrustedBalancers(['192.0.2.5']);
  assert.equal(b.trusts('192.0.2.5'), true);
  assert.equal(b.trusts('192.0.2.4'), false);
});

test('an empty list trusts nobody and turns the PROXY protocol off', () => {
  const b = new TrustedBalancers([]);
  assert.equal(b.enabled, false);
  assert.equal(b.trusts('127.0.0.1'), false);
});

test('a malformed block is refused loudly at construction', () => {
  for (const bad of ['10.0.0.0/33', '10.0.0/8', '10.0.0.0/08', '2001:db8::/129', 'example.com', '10.0.0.0/', ' 10.0.0.0/8', '10.0.0.0/8/8']) {
    assert.equal(parseCidr(bad), undefined, bad);
    assert.throws(() => new TrustedBalancers([bad]), /not an address block/, bad);
  }
});

test('property: a /32 block trusts its address and no other', () => {
  fc.assert(fc.property(fc.ipV4(), fc.ipV4(), (listed, other) => {
    const b = new TrustedBalancers([`${listed}/32`]);
    assert.equal(b.trusts(listed), true);
    assert.equal(b.trusts(other), other === listed);
  }), { numRuns: 500 });
});
