import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';
import { base32Decode, hotp, stepOf, totpAtStep } from './totpReference.testkit.js';

const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');

describe('reference TOTP (the test oracle)', () => {
  it('matches the RFC 6238 Appendix B SHA-1 vectors', () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [t, code] of vectors) assert.equal(hotp(RFC_KEY, Math.floor(t / 30), 8), code, `T=${t}`);
  });

  it('decodes base32 as RFC 4648 does', () => {
    // RFC 4648 section 10 test vectors.
    assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
    assert.equal(base32Decode('mzxw6').toString(), 'foo');
    // The RFC key in base32 gives the same 6-digit code as the raw key.
    assert.equal(totpAtStep('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1), hotp(RFC_KEY, 1));
  });
});

describe('newTotpSecret', () => {
  it('makes a fresh base32 secret of 20 bytes each time', () => {
    const a = newTotpSecret();
    const b = newTotpSecret();
    assert.match(a, /^[A-Z2-7]+$/);
    assert.equal(base32Decode(a).length, 20);
    assert.notEqual(a, b);
  });

  it('ends up in an otpauth URI with the secret, issuer and 30 s period', () => {
    const uri = new URL(totpUri('JBSWY3DPEHPK3PXP', 'a@x'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), 'JBSWY3DPEHPK3PXP');
    assert.equal(uri.searchParams.get('issuer'), 'burrow');
    assert.equal(uri.searchParams.get('period'), '30');
  });
});

describe('matchTotp', () => {
  // A fixed secret and time make the test deterministic (no chance collisions between steps).
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  // Mid-step, so ±1 step is about time steps, not rounding at a boundary.
  const now = 1_700_000_015_000;
  const step = stepOf(now);

  it('accepts the current code and returns its step', () => {
    assert.equal(matchTotp(secret, totpAtStep(secret, step), now), step);
  });

  it('accepts the code of the previous and the next step (clock skew), with their steps', () => {
    assert.equal(matchTotp(secret, totpAtStep(secret, step - 1), now), step - 1);
    assert.equal(matchTotp(secret, totpAtStep(secret, step + 1), now), step + 1);
  });

  it('refuses codes two steps away', () => {
    for (const s of [step - 2, step + 2]) {
      const code = totpAtStep(secret, s);
      // A collision with a code inside the window would make this test meaningless.
      const inWindow = [step - 1, step, step + 1].map((x) => totpAtStep(secret, x));
      assert.ok(!inWindow.includes(code), 'fixture: codes must differ');
      assert.equal(matchTotp(secret, code, now), undefined, `step ${s - step}`);
    }
  });

  it('works at the very start and end of a step', () => {
    const start = step * 30_000;
    const end = start + 29_999;
    assert.equal(matchTotp(secret, totpAtStep(secret, step), start), step);
    assert.equal(matchTotp(secret, totpAtStep(secret, step), end), step);
    assert.equal(matchTotp(secret, totpAtStep(secret, step + 1), end), step + 1);
  });

  it('refuses a code of another secret', () => {
    const code = totpAtStep('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', step);
    const ours = [step - 1, step, step + 1].map((x) => totpAtStep(secret, x));
    assert.ok(!ours.includes(code), 'fixture: codes must differ');
    assert.equal(matchTotp(secret, code, now), undefined);
  });

  it('refuses input that is not exactly six digits', () => {
    const good = totpAtStep(secret, step);
    for (const bad of ['', good.slice(0, 5), `${good}0`, ` ${good}`, `${good}\n`, good.replace(/\d$/, 'a'), '12 456', '１２３４５６', `0${good}`]) {
      assert.equal(matchTotp(secret, bad, now), undefined, JSON.stringify(bad));
    }
  });

  it('refuses a 6-character input that only parses to the number of a code', () => {
    // A code with a leading zero, e.g. 012345, equals 12345 as a number; " 12345" or "12345x"
    // must not pass for it (speakeasy compares parseInt values).
    let s = step;
    while (!totpAtStep(secret, s).startsWith('0')) s++;
    const at = s * 30_000 + 15_000;
    const tail = totpAtStep(secret, s).slice(1);
    assert.equal(matchTotp(secret, `0${tail}`, at), s, 'fixture: the real code matches');
    for (const bad of [` ${tail}`, `+${tail}`, `${tail}x`, `${tail} `]) assert.equal(matchTotp(secret, bad, at), undefined, JSON.stringify(bad));
  });

  it('refuses the 8-digit form of the current code', () => {
    // Its last 6 digits are the 6-digit code, but only exactly 6 digits are accepted.
    const eight = hotp(base32Decode(secret), step, 8);
    assert.equal(eight.slice(2), totpAtStep(secret, step));
    assert.equal(matchTotp(secret, eight, now), undefined);
  });
});
