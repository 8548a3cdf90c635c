import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { generate } from 'selfsigned';
import { WebSocketServer, type WebSocket } from 'ws';
import { nodeConfigSchema } from '../shared/config.js';
import { TUNNEL_PATH } from '../shared/protocol.js';
import { pinOfPem } from '../shared/tlsPin.js';
import { dialTunnel } from './tunnelSocket.js';

/** Collects the mask key of every frame a client sends, read from the raw (decrypted) stream. */
function tapMasks(socket: Duplex): { masks: Buffer[]; unmasked: number } {
  const seen = { masks: [] as Buffer[], unmasked: 0 };
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const second = pending[1];
      if (second === undefined) return;
      const masked = (second & 0x80) !== 0;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      const header = offset + (masked ? 4 : 0);
      if (pending.length < header + length) return;
      if (masked) seen.masks.push(Buffer.from(pending.subarray(offset, offset + 4)));
      else seen.unmasked += 1;
      pending = pending.subarray(header + length);
    }
  });
  return seen;
}

describe('dialTunnel', () => {
  let server: https.Server;
  let wss: WebSocketServer;
  let cert: string;
  let port: number;
  before(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
    cert = pems.cert;
    server = https.createServer({ cert: pems.cert, key: pems.private });
    wss = new WebSocketServer({ server, path: TUNNEL_PATH });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // Issue 20: a load generator spreads its nodes over many loopback addresses, as nodes come from many in the field.
  it('leaves from the local address it is given', async () => {
    const config = nodeConfigSchema.parse({
      serverUrl: `https://127.0.0.1:${port}`,
      nodeId: 'nd_source',
      name: 'source',
      tlsPin: pinOfPem(cert),
      sshHostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn/Hq8Q8Bm0kr6o0w7R9a7w1oX1rj+0s0CrjP0Zv7u6',
    });
    const accepted = once(wss, 'connection') as Promise<[WebSocket, IncomingMessage]>;
    const client = dialTunnel(config, undefined, { pin: config.tlsPin }, '127.0.0.77');
    const [, request] = await accepted;
    await once(client, 'open');
    client.close();
    assert.equal(request.socket.remoteAddress, '127.0.0.77');
  });

  // Issue 18, point 5: TLS-inspecting proxies see these frames in the clear, and RFC 6455
  // asks for an unpredictable mask per frame; an all-zero mask is neither.
  it('masks every frame it sends with its own random key', async () => {
    const config = nodeConfigSchema.parse({
      serverUrl: `https://127.0.0.1:${port}`,
      nodeId: 'nd_masks',
      name: 'masks',
      tlsPin: pinOfPem(cert),
      sshHostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn/Hq8Q8Bm0kr6o0w7R9a7w1oX1rj+0s0CrjP0Zv7u6',
    });
    const accepted = once(wss, 'connection') as Promise<[WebSocket, IncomingMessage]>;
    const client = dialTunnel(config, undefined);
    const [ws, request] = await accepted;
    // 'connection' comes right after the 101 answer, before the client can have sent a frame.
    const seen = tapMasks(request.socket);
    await once(client, 'open');
    const frames = 16;
    for (let i = 0; i < frames; i++) client.send(Buffer.alloc(100 + i * 1000, i));
    // The tap sees each frame before ws does: once the server has them all, so has the tap.
    await new Promise<void>((resolve) => {
      let received = 0;
      ws.on('message', () => {
        received += 1;
        if (received === frames) resolve();
      });
    });
    client.close();
    assert.equal(seen.unmasked, 0, 'a client frame went out unmasked');
    assert.equal(seen.masks.length, frames);
    for (const mask of seen.masks) assert.notDeepEqual(mask, Buffer.alloc(4), 'a frame went out with an all-zero mask');
    const distinct = new Set(seen.masks.map((m) => m.toString('hex')));
    assert.equal(distinct.size, frames, 'mask keys repeat between frames');
  });
});
