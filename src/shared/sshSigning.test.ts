import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { generateEd25519, publicKeyBlob } from './sshKeys.js';
import { signingKey, verifySshSignature } from './sshSigning.js';

const parsePublic = (line: string): ParsedKey => {
  const k = ssh2.utils.parseKey(line);
  if (k instanceof Error || Array.isArray(k)) throw new Error('unexpected key');
  return k;
};

describe('signingKey', () => {
  it("signs ed25519 so that ssh2's own verifier accepts it, and only for that data", () => {
    const pair = generateEd25519();
    const key = signingKey(pair.private);
    const data = randomBytes(200);
    const sig = key.sign(data);
    assert.ok(Buffer.isBuffer(sig));
    assert.equal(parsePublic(pair.public).verify(data, sig), true);
    assert.equal(parsePublic(pair.public).verify(randomBytes(200), sig), false);
  });

  it('refuses what is not a private key with a clear error', () => {
    assert.throws(() => signingKey('not a key'), /cannot parse the SSH private key/);
  });
});

describe('verifySshSignature', () => {
  it("accepts ssh2's signature by the key of the line and refuses another key's", () => {
    const a = generateEd25519();
    const b = generateEd25519();
    const data = randomBytes(64);
    const sig = (ssh2.utils.parseKey(a.private) as ParsedKey).sign(data);
    assert.equal(verifySshSignature(a.public, data, sig), true);
    assert.equal(verifySshSignature(b.public, data, sig), false);
    assert.equal(verifySshSignature(a.public, Buffer.concat([data, Buffer.from([0])]), sig), false);
  });

  it('gives the wire blob that ssh2 reads from the same line', () => {
    const a = generateEd25519();
    assert.deepEqual(publicKeyBlob(a.public)?.blob, parsePublic(a.public).getPublicSSH());
    assert.equal(publicKeyBlob(a.public)?.algo, 'ssh-ed25519');
    assert.equal(publicKeyBlob(''), undefined);
  });
});
