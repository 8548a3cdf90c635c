import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.js';
import { BurrowError } from './errors.js';

describe('parseDuration', () => {
  const valid: [string, number][] = [
    ['250ms', 250],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 86_400_000 + 7_200_000 + 180_000 + 4000 + 5],
    ['1m500ms', 60_500],
    ['0s', 0],
    [' 15m ', 900_000],
  ];
  for (const [text, ms] of valid) {
    it(`parses ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  it('reads a bare number as seconds', () => {
    assert.equal(parseDuration('30'), 30_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(' 5 '), 5000);
  });

  for (const text of ['', '   ', '5x', 'h', '10m junk', 'junk 10m', '1.5h', '-5s', 'm10', '10 m', '1h 30m']) {
    it(`rejects ${JSON.stringify(text)} with VALIDATION`, () => {
      assert.throws(
        () => parseDuration(text),
        (err: unknown) => {
          assert.ok(err instanceof BurrowError, 'throws a BurrowError');
          assert.equal(err.code, 'VALIDATION');
          assert.ok(err.message.includes(`"${text}"`), 'names the input');
          return true;
        },
      );
    });
  }
});
