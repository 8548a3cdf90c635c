import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { ConnectionCap } from './connectionCap.js';

/** Opens a client and resolves with whether the server kept it open (answered "hi") or cut it. */
function knock(port: number, all: net.Socket[] = []): Promise<{ socket: net.Socket; kept: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    all.push(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => resolve({ socket, kept: true }));
    socket.once('close', () => resolve({ socket, kept: false }));
  });
}

/** A loopback server behind `cap` that greets each admitted connection with "hi". */
async function cappedServer(cap: ConnectionCap): Promise<{ server: net.Server; port: number; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    if (!s.destroyed) s.write('hi');
  });
  cap.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

describe('ConnectionCap', () => {
  it('refuses connections over the per-address cap and admits again once one closes', async () => {
    const capped: number[] = [];
    const cap = new ConnectionCap(3, (_ip, open) => capped.push(open));
    const { server, port } = await cappedServer(cap);
    const all: net.Socket[] = [];
    try {
      const first = await Promise.all([knock(port, all), knock(port, all), knock(port, all)]);
      assert.deepEqual(first.map((k) => k.kept), [true, true, true]);
      const fourth = await knock(port, all);
      assert.equal(fourth.kept, false);
      assert.deepEqual(capped, [3]);
      assert.equal(cap.refused, 1);
      first[0]?.socket.destroy();
      // The server sees the close a moment later; knock until it has counted it.
      let again = await knock(port, all);
      for (let i = 0; i < 50 && !again.kept; i++) again = await knock(port, all);
      assert.equal(again.kept, true);
      for (const k of [...first, again]) k.socket.destroy();
    } finally {
      for (const s of all) s.destroy();
      server.close();
    }
  });

  it('rejects a cap that is not a positive integer', () => {
    assert.throws(() => new ConnectionCap(0), /positive integer/);
  });

  it('stops counting a released connection (an authenticated tunnel), once', async () => {
    const cap = new ConnectionCap(1);
    const { server, port, accepted } = await cappedServer(cap);
    const all: net.Socket[] = [];
    try {
      assert.equal((await knock(port, all)).kept, true);
      assert.equal((await knock(port, all)).kept, false, 'the cap of 1 is full');
      const first = accepted[0] as net.Socket;
      cap.release(first);
      cap.release(first);
      assert.equal(cap.openFrom('127.0.0.1'), 0);
      assert.equal((await knock(port, all)).kept, true, 'the released connection no longer counts');
      assert.equal((await knock(port, all)).kept, false, 'a second release did not free another place');
    } finally {
      for (const c of all) c.destroy();
      server.close();
    }
  });
});
