import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SocketTally } from './socketTally.js';

class FakeSocket extends EventEmitter {
  bytesRead = 0;
  bytesWritten = 0;
}

describe('SocketTally', () => {
  it("hands out what crossed since the last take, from each socket's first byte", () => {
    const tally = new SocketTally();
    const a = new FakeSocket();
    a.bytesRead = 100; // the TLS handshake, before the socket was added
    tally.add(a);
    a.bytesWritten = 40;
    assert.deepEqual(tally.take(), { bytesIn: 100, bytesOut: 40 });
    assert.deepEqual(tally.take(), { bytesIn: 0, bytesOut: 0 });
    a.bytesRead = 150;
    assert.deepEqual(tally.take(), { bytesIn: 50, bytesOut: 0 });
  });

  it('keeps the last bytes of a closed socket for the next take, then lets it go', () => {
    const tally = new SocketTally();
    const a = new FakeSocket();
    const b = new FakeSocket();
    tally.add(a);
    tally.add(b);
    tally.add(b);
    a.bytesRead = 10;
    a.emit('close');
    b.bytesWritten = 5;
    assert.equal(tally.size, 1);
    assert.deepEqual(tally.take(), { bytesIn: 10, bytesOut: 5 });
    a.bytesRead = 99; // a closed socket no longer counts
    assert.deepEqual(tally.take(), { bytesIn: 0, bytesOut: 0 });
  });
});
