import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { createTunnelStream, packFrames } from './tunnelStream.js';

/** A real ws server on loopback whose connections record the frames they receive. */
function frameRecorder() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1024 * 1024 });
  const frames: Buffer[] = [];
  const closed: Promise<void>[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => frames.push(data));
    closed.push(new Promise((resolve) => ws.once('close', () => resolve())));
  });
  const url = () => `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return { wss, frames, closed, url };
}

async function openClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached within 5 s');
};

/** Waits for `event`, failing with `message` if it has not happened within 5 s. */
async function within(event: Promise<void> | undefined, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message })), 5_000);
  });
  try {
    await Promise.race([event ?? Promise.reject(new assert.AssertionError({ message })), late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('packFrames', () => {
  it('joins buffers in order up to the limit and keeps an oversized one whole', () => {
    const b = (n: number, fill: number) => Buffer.alloc(n, fill);
    const frames = packFrames([b(3, 1), b(3, 2), b(3, 3), b(10, 4), b(1, 5)], 8);
    assert.deepEqual(
      frames.map((f) => [...f]),
      [[1, 1, 1, 2, 2, 2], [3, 3, 3], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [5]],
    );
  });
});

describe('createTunnelStream', () => {
  const rec = frameRecorder();
  before(() => new Promise<void>((resolve) => rec.wss.once('listening', resolve)));
  after(() => new Promise<void>((resolve) => rec.wss.close(() => resolve())));

  it('sends the packets written in one tick as one frame', async () => {
    rec.frames.length = 0;
    const stream = createTunnelStream(await openClient(rec.url()));
    const packets = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1000, i));
    for (const p of packets) stream.write(p);
    await until(() => rec.frames.length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rec.frames.length, 1, `frames: ${rec.frames.map((f) => f.length).join(',')}`);
    assert.deepEqual(rec.frames[0], Buffer.concat(packets));
    stream.destroy();
  });

  it('splits a large burst into frames no bigger than the limit, bytes intact and in order', async () => {
    rec.frames.length = 0;
    const stream = createTunnelStream(await openClient(rec.url()), 64 * 1024);
    const packets = Array.from({ length: 200 }, () => randomBytes(32 * 1024));
    for (const p of packets) stream.write(p);
    const total = 200 * 32 * 1024;
    await until(() => rec.frames.reduce((n, f) => n + f.length, 0) >= total);
    assert.ok(rec.frames.every((f) => f.length <= 64 * 1024));
    assert.ok(rec.frames.length < packets.length, `${rec.frames.length} frames for ${packets.length} packets`);
    const digest = (bufs: Buffer[]) => bufs.reduce((h, b) => h.update(b), createHash('sha256')).digest('hex');
    assert.equal(digest(rec.frames), digest(packets));
    stream.destroy();
  });

  it('still ends the WebSocket when the stream ends', async () => {
    const before = rec.closed.length;
    const ws = await openClient(rec.url());
    const stream = createTunnelStream(ws);
    await until(() => rec.closed.length > before);
    const streamClosed = new Promise<void>((resolve) => stream.once('close', () => resolve()).resume());
    stream.end(Buffer.from('bye'));
    try {
      await within(rec.closed[before], 'the server never saw the WebSocket close after the stream ended');
      await within(streamClosed, 'the stream never closed after it ended');
    } finally {
      // A failed run must not leave the connection holding the server open.
      ws.terminate();
    }
  });
});
