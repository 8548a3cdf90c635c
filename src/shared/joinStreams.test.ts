import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { joinStreams } from './joinStreams.js';

const listen = async (server: net.Server): Promise<number> => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
};

describe('joinStreams', () => {
  it('delivers every byte when the far side sends a large body and closes at once', async () => {
    // origin --tcp--> [relay: joinStreams(in, out)] --tcp--> slow reader.
    const body = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    const origin = net.createServer((s) => s.end(body));
    let queueFull!: () => void;
    const backPressure = new Promise<void>((resolve) => {
      queueFull = resolve;
    });
    const relay = net.createServer((client) => {
      const upstream = net.connect(originPort, '127.0.0.1');
      // pipe() pauses the upstream once the queue towards the (paused) reader is full.
      upstream.once('pause', queueFull);
      joinStreams(client, upstream);
    });
    const originPort = await listen(origin);
    const relayPort = await listen(relay);
    try {
      const reader = net.connect(relayPort, '127.0.0.1');
      const hash = createHash('sha256');
      let bytes = 0;
      // Read slowly at first so the relay's write queue towards us is full when origin closes.
      reader.pause();
      await backPressure;
      reader.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      reader.resume();
      await once(reader, 'close');
      assert.equal(bytes, body.length);
      assert.equal(hash.digest('hex'), createHash('sha256').update(body).digest('hex'));
    } finally {
      origin.close();
      relay.close();
    }
  });

  it('lets the other side drain what is queued for it before freeing it', async () => {
    // Like an SSH channel waiting for window space: each write completes a little later.
    let received = 0;
    const slow = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        setImmediate(() => {
          received += chunk.length;
          cb();
        });
      },
    });
    const source = new PassThrough();
    joinStreams(source, slow);
    for (let i = 0; i < 64; i++) source.write(Buffer.alloc(1024, i));
    source.end();
    await once(slow, 'close');
    assert.equal(received, 64 * 1024);
  });

  it('destroys both sides when one fails', async () => {
    const a = new PassThrough();
    const b = new PassThrough();
    joinStreams(a, b);
    a.destroy(new Error('reset'));
    await once(b, 'close');
    assert.equal(b.destroyed, true);
  });

  it('destroys the other side when one closes without ending', async () => {
    const a = new PassThrough();
    const b = new PassThrough();
    joinStreams(a, b);
    a.destroy();
    await once(a, 'close');
    assert.equal(b.destroyed, true);
  });
});
