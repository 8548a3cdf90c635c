import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LlhttpReader, REQUEST_STREAM, burrowFraming, framingAgrees } from './framingDifferential.js';

/** CI-sized: `make chaos` runs the same property with many more cases. */
const RUNS = 300;

describe('burrow frames requests as llhttp does', () => {
  const llhttp = new LlhttpReader();
  before(() => llhttp.start());
  after(() => llhttp.stop());

  it('forwards exactly the requests llhttp reads, to a WebUI that reads them the same', async () => {
    await fc.assert(fc.asyncProperty(REQUEST_STREAM, (stream) => framingAgrees(llhttp, stream)), { numRuns: RUNS, seed: 1018 });
  });

  it('catches a request smuggled in a trailer', async () => {
    const stream = Buffer.from('POST / HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nGET /smuggled HTTP/1.1\r\n\r\n', 'latin1');
    assert.equal(burrowFraming(stream).messages.length, 0);
    await framingAgrees(llhttp, stream);
  });
});
