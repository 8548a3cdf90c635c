import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emailSchema, isEmail } from './email.js';

describe('emailSchema', () => {
  it('accepts the addresses server init makes and people use, dotless hosts included', () => {
    for (const e of ['admin@localhost', 'ops@acme.example', 'a.b+c@sub.example.org']) {
      assert.equal(isEmail(e), true, e);
      assert.equal(emailSchema.parse(e), e);
    }
    assert.equal(emailSchema.parse('  admin@localhost '), 'admin@localhost');
  });

  it('refuses what is not an address', () => {
    for (const e of ['notanemail', '@localhost', 'a@', 'a b@localhost', 'a@@b', 'a@.example', `${'x'.repeat(65)}@localhost`, `a@${'h'.repeat(260)}`]) {
      assert.equal(isEmail(e), false, e);
      assert.equal(emailSchema.safeParse(e).success, false, e);
    }
  });
});
