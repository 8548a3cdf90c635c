import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';
import { corkPerTick } from './corkPerTick.js';

/** Frames stay well under the 1 MiB `maxPayload` both ends of the tunnel accept. */
export const MAX_TUNNEL_FRAME_BYTES = 256 * 1024;

type WritevChunk = { chunk: Buffer };

/**
 * The WebSocket as the byte stream SSH runs over. ssh2 writes one SSH packet (at most
 * 32 KiB) per `write`, and ws's own stream sends every write as a frame of its own: one
 * frame header, one TLS write and one syscall per packet, and as many `message` events
 * at the other end. This stream sends what is written in one tick, and what queued
 * behind a busy socket, as one frame of up to `maxFrameBytes`: a bulk transfer then
 * crosses in a few large frames, and a small request's packets in one. Measured on a
 * 1 GiB download: the server ran ~80 incremental mark-compacts per GiB with one frame per
 * packet (the churn of a Buffer per frame), 2–10 with 256 KiB frames, and used about
 * 40 % less CPU for it.
 * Lifecycle (close, errors, end) is ws's `createWebSocketStream`, unchanged.
 */
export function createTunnelStream(ws: WebSocket, maxFrameBytes = MAX_TUNNEL_FRAME_BYTES): Duplex {
  const stream = createWebSocketStream(ws);
  const writev = (chunks: WritevChunk[], done: (err?: Error | null) => void): void => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => writev(chunks, done));
      return;
    }
    const frames = packFrames(
      chunks.map((c) => c.chunk),
      maxFrameBytes,
    );
    frames.forEach((frame, i) => ws.send(frame, i === frames.length - 1 ? done : undefined));
  };
  // Writable calls `_writev` with everything buffered whenever more than one chunk waits.
  Object.assign(stream, { _writev: writev });
  // Corking until the end of the tick is what makes the packets of one tick wait together.
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const corkingWrite = (...args: unknown[]): boolean => {
    corkPerTick(stream);
    return write(...args);
  };
  Object.assign(stream, { write: corkingWrite });
  return stream;
}

/** Joins buffers, in order, into as few frames as fit `max` bytes each (a larger buffer alone). */
export function packFrames(buffers: Buffer[], max: number): Buffer[] {
  const frames: Buffer[] = [];
  let group: Buffer[] = [];
  let size = 0;
  for (const b of buffers) {
    if (size > 0 && size + b.length > max) {
      frames.push(group.length === 1 ? (group[0] as Buffer) : Buffer.concat(group, size));
      group = [];
      size = 0;
    }
    group.push(b);
    size += b.length;
  }
  if (group.length) frames.push(group.length === 1 ? (group[0] as Buffer) : Buffer.concat(group, size));
  return frames;
}
