import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock } from '../shared/clock.js';
import { nodeConfigSchema } from '../shared/config.js';
import { silentLogger } from '../shared/log.js';
import { TUNNEL_PATH } from '../shared/protocol.js';
import { generateEd25519 } from '../shared/sshKeys.js';
import { pinOfPem } from '../shared/tlsPin.js';
import { TunnelAgent } from './tunnelAgent.js';

/** A TLS endpoint that accepts the tunnel's WebSocket and then says nothing (no SSH). */
async function silentServer() {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  const server = https.createServer({ cert: pems.cert, key: pems.private });
  const wss = new WebSocketServer({ server, path: TUNNEL_PATH });
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => sockets.push(ws));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, wss, sockets, cert: pems.cert, port: (server.address() as AddressInfo).port };
}

describe('TunnelAgent.stop', () => {
  let s: Awaited<ReturnType<typeof silentServer>>;
  before(async () => {
    s = await silentServer();
  });
  after(async () => {
    for (const ws of s.sockets) ws.terminate();
    await new Promise((resolve) => s.wss.close(resolve));
    s.server.closeAllConnections();
    await new Promise((resolve) => s.server.close(resolve));
  });

  it('resolves once the tunnel is down, and every call gets the same promise', async () => {
    const config = nodeConfigSchema.parse({
      serverUrl: `https://127.0.0.1:${s.port}`,
      nodeId: 'nd_stop',
      name: 'stop',
      tlsPin: pinOfPem(s.cert),
      sshHostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn/Hq8Q8Bm0kr6o0w7R9a7w1oX1rj+0s0CrjP0Zv7u6',
    });
    const key = generateEd25519().private;
    const agent = new TunnelAgent({ config, privateKey: () => key, clock: systemClock, log: silentLogger() });
    const accepted = once(s.wss, 'connection') as Promise<[WebSocket]>;
    agent.start();
    const [ws] = await accepted;
    // The agent speaks first on an open tunnel (its SSH banner): from here its socket is open.
    await once(ws, 'message');
    const stopping = agent.stop();
    assert.equal(agent.stop(), stopping);
    await stopping;
    assert.equal(agent.state, 'stopped');
    // Resolved only after the close handshake: the server has had the agent's close frame.
    assert.notEqual(ws.readyState, ws.OPEN, 'stop() resolved while the tunnel was still open');
  });
});
