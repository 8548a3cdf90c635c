import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BurrowError } from './errors.js';
import { matchesSelector, parseLabel, parseLabelSelector } from './labelSelector.js';

const refused = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof BurrowError && e.code === 'VALIDATION');

describe('label selectors', () => {
  it('parses equality and inequality, comma-separated, spaces allowed', () => {
    assert.deepEqual(parseLabelSelector('site=paris, tier!=test'), [
      { key: 'site', op: '=', value: 'paris' },
      { key: 'tier', op: '!=', value: 'test' },
    ]);
    assert.deepEqual(parseLabelSelector('example.com/rack=a-1'), [{ key: 'example.com/rack', op: '=', value: 'a-1' }]);
    assert.deepEqual(parseLabelSelector('note='), [{ key: 'note', op: '=', value: '' }]);
  });

  it('refuses what is not a requirement', () => {
    for (const bad of ['', 'site', 'site==paris', '=paris', 'si te=paris', 'site=par is', 'a=b,,c=d', 'site=<x>', '!site=x']) refused(() => parseLabelSelector(bad));
  });

  it('matches every requirement; a missing label is unequal to any value', () => {
    const sel = parseLabelSelector('site=paris,tier!=test');
    assert.equal(matchesSelector({ site: 'paris', tier: 'prod' }, sel), true);
    assert.equal(matchesSelector({ site: 'paris' }, sel), true);
    assert.equal(matchesSelector({ site: 'paris', tier: 'test' }, sel), false);
    assert.equal(matchesSelector({ site: 'lyon' }, sel), false);
    assert.equal(matchesSelector({}, parseLabelSelector('site!=paris')), true);
    assert.equal(matchesSelector({ toString: 'x' }, parseLabelSelector('constructor=x')), false);
  });

  it('parses one label key=value', () => {
    assert.deepEqual(parseLabel('site=paris'), ['site', 'paris']);
    assert.deepEqual(parseLabel('a=b=c'.replace('=c', '')), ['a', 'b']);
    refused(() => parseLabel('site'));
    refused(() => parseLabel('si te=x'));
  });
});
