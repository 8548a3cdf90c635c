import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pinDecision } from './tlsRepin.js';

const [OLD, NEW, EVIL] = ['sha256/old', 'sha256/new', 'sha256/evil'];

describe('pinDecision', () => {
  it('adopts a new key only when the server vouches for the certificate this connection presented', () => {
    assert.deepEqual(pinDecision({ stored: OLD, peer: { pin: NEW, verified: false }, announced: [NEW] }), { action: 'adopt', pin: NEW });
  });

  it('refuses a certificate the server disowns: someone in between relays SSH', () => {
    const d = pinDecision({ stored: OLD, peer: { pin: EVIL, verified: false }, announced: [NEW] });
    assert.equal(d.action, 'refuse');
    assert.match(d.action === 'refuse' ? d.reason : '', /intercepting/);
  });

  it('refuses an unmatched certificate when the server announces no pins', () => {
    assert.equal(pinDecision({ stored: OLD, peer: { pin: NEW, verified: false }, announced: undefined }).action, 'refuse');
  });

  it('keeps a matching pin, and moves an old whole-certificate pin to the key pin the server announces', () => {
    assert.deepEqual(pinDecision({ stored: NEW, peer: { pin: NEW, verified: true }, announced: [NEW] }), { action: 'keep' });
    assert.deepEqual(pinDecision({ stored: 'sha256/certhash', peer: { pin: NEW, verified: true }, announced: [NEW] }), { action: 'adopt', pin: NEW });
    assert.deepEqual(pinDecision({ stored: NEW, peer: { pin: NEW, verified: true }, announced: undefined }), { action: 'keep' });
    assert.deepEqual(pinDecision({ stored: NEW, peer: { pin: NEW, verified: true }, announced: [OLD] }), { action: 'keep' });
  });
});
