import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { corkPerTick } from './corkPerTick.js';

/** A writable that records how its chunks arrive: one array per `_write`/`_writev` call. */
function recorder() {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, calls };
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('corkPerTick', () => {
  it('delivers what is written in one tick in one writev', async () => {
    const { stream, calls } = recorder();
    for (const s of ['a', 'b', 'c']) {
      corkPerTick(stream);
      stream.write(s);
    }
    assert.deepEqual(calls, [], 'nothing leaves before the tick ends');
    await nextTick();
    assert.deepEqual(calls, [['a', 'b', 'c']]);
  });

  it('uncorks once per tick, so the next tick is batched on its own', async () => {
    const { stream, calls } = recorder();
    corkPerTick(stream);
    stream.write('1');
    await nextTick();
    corkPerTick(stream);
    stream.write('2');
    corkPerTick(stream);
    stream.write('3');
    await nextTick();
    assert.deepEqual(calls, [['1'], ['2', '3']]);
    assert.equal(stream.writableCorked, 0);
  });
});
