import https from 'node:https';
import type { Socket } from 'node:net';
import ssh2 from 'ssh2';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { selfSignedCertificate } from '../src/server/tlsCertificate.js';

/**
 * The server half of the floor under burrow's per-node memory: what Node, ws and ssh2
 * alone hold per idle tunnel, with none of burrow's code. Run with fork() and one argument,
 * the mode: `tls` answers every upgrade request with a bare 101 and keeps the TLS socket
 * (what one idle TLS connection costs in Node); `tunnel` runs an ssh2 server over each
 * WebSocket with the gateway's settings and lets every client in.
 * IPC: sends {type:'listening', port}; answers {type:'rss'} with {type:'rss', rssKiB, connections}.
 */
const mode = process.argv[2] === 'tls' ? 'tls' : 'tunnel';
const held: unknown[] = [];
let connections = 0;

const ssh = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync('ed25519').private], keepaliveInterval: 7_000, ident: 'burrow' }, (client) => {
  client.on('authentication', (ctx) => ctx.accept());
  client.on('error', () => undefined);
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });

const { cert, key } = await selfSignedCertificate(['localhost']);
const server = https.createServer({ cert, key, minVersion: 'TLSv1.2' });
server.on('upgrade', (req, socket: Socket, head: Buffer) => {
  connections++;
  if (mode === 'tls') {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    held.push(socket);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const stream = createWebSocketStream(ws);
    Object.assign(stream, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
    stream.on('error', () => undefined);
    ssh.injectSocket(stream as unknown as Socket);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'rss') process.send?.({ type: 'rss', rssKiB: Math.round(process.memoryUsage().rss / 1024), connections });
});
