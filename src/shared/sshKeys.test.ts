import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { generateEd25519 } from './sshKeys.js';

describe('generateEd25519', () => {
  it('only returns keys that parse, even where ssh2 would emit a malformed one', () => {
    // With ~1/128 of raw keys malformed, 2000 keys meet the bad case almost surely.
    for (let i = 0; i < 2000; i++) {
      const keys = generateEd25519();
      const pub = ssh2.utils.parseKey(keys.public);
      assert.ok(!(pub instanceof Error), `key ${i}: ${keys.public}`);
      assert.equal(pub.type, 'ssh-ed25519');
      const priv = ssh2.utils.parseKey(keys.private);
      assert.ok(!(priv instanceof Error));
      assert.deepEqual(priv.getPublicSSH(), pub.getPublicSSH());
    }
  });
});
