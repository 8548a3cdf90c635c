import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import WebSocket, { createWebSocketStream } from 'ws';

/**
 * The client half of the floor: `count` connections to floorTunnelServer, each what the
 * agent holds with none of burrow's code, i.e. a ws client (the agent's options) and an
 * ssh2 client over it with the agent's keepalive, or, in `tls` mode, a bare TLS socket.
 * With count 1 its own RSS is the floor under the agent's. In `relay` mode its one tunnel
 * asks for tcpip-forward and pipes every forwarded channel, bytes only, to `originPort`.
 * Run with fork() and one JSON argument {port, mode, count, originPort?}.
 * IPC: sends {type:'up', connected}; answers {type:'rss'} with {type:'rss', rssKiB}.
 */
interface Args {
  port: number;
  mode: 'tls' | 'tunnel' | 'relay';
  count: number;
  originPort?: number;
}
const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const held: unknown[] = [];

function bareTls(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: args.port, rejectUnauthorized: false }, () => {
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    socket.once('data', () => resolve(held.push(socket) > 0));
    socket.once('error', () => resolve(false));
  });
}

/** Relays each forwarded channel to the origin, as the agent's service forwarder does. */
function relayToOrigin(client: ssh2.Client, done: (ok: boolean) => void): void {
  client.on('tcp connection', (_info, accept) => {
    const channel = accept();
    const origin = net.connect({ host: '127.0.0.1', port: args.originPort ?? 0, noDelay: true });
    channel.pipe(origin).pipe(channel);
    origin.on('error', () => channel.close());
    channel.on('error', () => origin.destroy());
  });
  client.forwardIn('webui', 80, (err) => done(!err));
}

function tunnel(): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${args.port}/v1/tunnel`, { rejectUnauthorized: false, perMessageDeflate: false, maxPayload: 1024 * 1024 });
    ws.once('error', () => resolve(false));
    ws.once('open', () => {
      const client = new ssh2.Client();
      client.once('ready', () => {
        held.push(client);
        if (args.mode === 'relay') relayToOrigin(client, resolve);
        else resolve(true);
      });
      client.once('error', () => resolve(false));
      client.connect({ sock: createWebSocketStream(ws) as Duplex, username: 'floor', keepaliveInterval: 7_000 });
    });
  });
}

let connected = 0;
let next = 0;
const worker = async () => {
  while (next++ < args.count) if (await (args.mode === 'tls' ? bareTls() : tunnel())) connected++;
};
await Promise.all(Array.from({ length: Math.min(20, args.count) }, worker));
process.send?.({ type: 'up', connected });
process.on('message', (m: { type: string }) => {
  if (m.type === 'rss') process.send?.({ type: 'rss', rssKiB: Math.round(process.memoryUsage().rss / 1024) });
});
