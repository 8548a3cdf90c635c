import https from 'node:https';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { selfSignedCertificate } from '../src/server/tlsCertificate.js';
import { generateEd25519 } from '../src/shared/sshKeys.js';

/**
 * The server half of the floor under burrow's figures: the same tunnel from Node, ws and
 * ssh2 alone, with none of burrow's code. Run with fork() and one argument, the mode:
 * - `tls` answers every upgrade request with a bare 101 and keeps the TLS socket (what one
 *   idle TLS connection costs in Node);
 * - `tunnel` runs an ssh2 server over each WebSocket with the gateway's settings and lets
 *   every client in;
 * - `relay` is `tunnel` plus a TLS port standing for a WebUI session port: each connection
 *   to it is piped, bytes only, into a forwarded-tcpip channel to the client that last
 *   asked for tcpip-forward (burrow's data path without its HTTP work, store or auth).
 * IPC: sends {type:'listening', port, relayPort}; answers {type:'rss'} with {type:'rss', rssKiB, connections}.
 */
const mode = process.argv[2] === 'tls' || process.argv[2] === 'relay' ? process.argv[2] : 'tunnel';
const held: unknown[] = [];
let connections = 0;
let forwarded: { client: Connection; bind: string; port: number } | undefined;

const ssh = new ssh2.Server({ hostKeys: [generateEd25519().private], keepaliveInterval: 7_000, ident: 'burrow' }, (client) => {
  client.on('authentication', (ctx) => ctx.accept());
  client.on('request', (accept, reject, name, info) => {
    if (name !== 'tcpip-forward') return reject?.();
    forwarded = { client, bind: info.bindAddr, port: info.bindPort };
    accept?.();
  });
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

const relay = tls.createServer({ cert, key, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] }, (browser) => {
  browser.setNoDelay(true);
  browser.on('error', () => undefined);
  if (!forwarded) return browser.destroy();
  forwarded.client.forwardOut(forwarded.bind, forwarded.port, browser.remoteAddress ?? '127.0.0.1', browser.remotePort ?? 0, (err, channel) => {
    if (err) return browser.destroy();
    browser.pipe(channel).pipe(browser);
    channel.on('error', () => browser.destroy());
  });
});

const portOf = (s: { address(): unknown }) => (s.address() as { port: number }).port;
server.listen(0, '127.0.0.1', () => {
  const ready = () => process.send?.({ type: 'listening', port: portOf(server), relayPort: mode === 'relay' ? portOf(relay) : 0 });
  if (mode === 'relay') relay.listen(0, '127.0.0.1', ready);
  else ready();
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'rss') process.send?.({ type: 'rss', rssKiB: Math.round(process.memoryUsage().rss / 1024), connections });
});
