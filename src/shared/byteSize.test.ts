import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatByteSize, parseByteSize } from './byteSize.js';

describe('byte sizes', () => {
  it('reads bytes and binary units', () => {
    assert.equal(parseByteSize('4096'), 4096);
    assert.equal(parseByteSize('500K'), 500 * 1024);
    assert.equal(parseByteSize('200m'), 200 * 1024 ** 2);
    assert.equal(parseByteSize('2GiB'), 2 * 1024 ** 3);
  });

  it('refuses what is not a size, zero included', () => {
    for (const bad of ['', '0', '-1', '1.5G', 'ten', '3T']) assert.throws(() => parseByteSize(bad), /is not a size/, bad);
  });

  it('formats sizes for people', () => {
    assert.equal(formatByteSize(512), '512 bytes');
    assert.equal(formatByteSize(1536), '1.5 KiB');
    assert.equal(formatByteSize(50 * 1024 ** 2), '50 MiB');
  });
});
