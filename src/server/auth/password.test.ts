import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BurrowError } from '../../shared/errors.js';
import { checkPasswordStrength, decoyPasswordHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './password.js';

/** A password of `n` characters that is not repetitive. */
function passwordOf(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: n }, (_, i) => alphabet[i % alphabet.length]).join('');
}

function isValidation(err: unknown): boolean {
  return err instanceof BurrowError && err.code === 'VALIDATION';
}

describe('hashPassword / verifyPassword', () => {
  it('verifies the password it hashed and refuses another', async () => {
    const hash = await hashPassword('correct horse battery');
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.equal(await verifyPassword('correct horse battery', hash), true);
    assert.equal(await verifyPassword('correct horse batterY', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('salts: two hashes of one password differ and both verify', async () => {
    const a = await hashPassword('same password 123');
    const b = await hashPassword('same password 123');
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4]);
    assert.equal(await verifyPassword('same password 123', a), true);
    assert.equal(await verifyPassword('same password 123', b), true);
  });

  it('handles 255- and 1024-character passwords', async () => {
    for (const n of [255, MAX_PASSWORD_LENGTH]) {
      const pw = passwordOf(n);
      const hash = await hashPassword(pw);
      assert.equal(await verifyPassword(pw, hash), true, `${n} chars`);
      assert.equal(await verifyPassword(pw.slice(0, -1), hash), false, `${n} chars minus one`);
    }
  });

  it('refuses a password longer than the maximum without deriving a key', async () => {
    const hash = await hashPassword(passwordOf(MAX_PASSWORD_LENGTH));
    assert.equal(await verifyPassword(passwordOf(MAX_PASSWORD_LENGTH + 1), hash), false);
  });

  it('refuses malformed stored hashes', async () => {
    for (const stored of ['', 'plain', 'bcrypt$10$x$y', 'scrypt$32768$8$1$$']) {
      assert.equal(await verifyPassword('anything at all', stored), false, stored);
    }
  });

  it('has a decoy hash that no ordinary password verifies against', async () => {
    const decoy = await decoyPasswordHash;
    assert.match(decoy, /^scrypt\$/);
    assert.equal(await verifyPassword('correct horse battery', decoy), false);
  });
});

describe('checkPasswordStrength', () => {
  it('accepts passwords from the minimum to the maximum length', () => {
    checkPasswordStrength(passwordOf(MIN_PASSWORD_LENGTH));
    checkPasswordStrength('correct horse battery staple');
    checkPasswordStrength(passwordOf(MAX_PASSWORD_LENGTH));
  });

  it('refuses passwords shorter than 12 characters', () => {
    assert.equal(MIN_PASSWORD_LENGTH, 12);
    for (const pw of ['', 'abc', passwordOf(11)]) {
      assert.throws(() => checkPasswordStrength(pw), (err) => isValidation(err) && /at least 12/.test((err as Error).message), JSON.stringify(pw));
    }
  });

  it('refuses passwords longer than 1024 characters', () => {
    assert.throws(() => checkPasswordStrength(passwordOf(1025)), (err) => isValidation(err) && /at most 1024/.test((err as Error).message));
  });

  it('refuses repetitive passwords', () => {
    for (const pw of ['aaaaaaaaaaaaaaaa', 'abababababababab', 'abcdabcdabcdabcd']) {
      assert.throws(() => checkPasswordStrength(pw), (err) => isValidation(err) && /repetitive/.test((err as Error).message), pw);
    }
    // Five distinct characters are enough.
    checkPasswordStrength('abcdeabcdeab');
  });
});
