import { once } from 'node:events';
import net from 'node:net';
import ssh2 from 'ssh2';
import { joinStreams } from '../../shared/joinStreams.js';
import { silentLogger } from '../../shared/log.js';
import { SERVICE_PORT } from '../../shared/protocol.js';
import { generateEd25519 } from '../../shared/sshKeys.js';
import { NodeConnection } from '../gateway/nodeConnection.js';

/** A node for tests: a real NodeConnection and the agent's end of its SSH connection. */
export interface InProcessNode {
  conn: NodeConnection;
  /** The origin each channel the agent was asked to open named, in order. */
  origins: Array<{ ip: string; port: number }>;
  /** Ends the agent's SSH connection, as a node going away does. */
  disconnect(): Promise<void>;
}

/**
 * A real `NodeConnection` over a loopback SSH connection to a minimal in-process agent that
 * announces `services` (name -> local TCP port) and connects each channel to its port, as the
 * agent does: for tests of what rides on `openService` (relays, the peer link) without
 * starting processes. Names announced but absent from `services` are refused by the agent.
 */
export async function startInProcessNode(nodeId: string, services: Record<string, number>, announced: string[] = Object.keys(services)): Promise<InProcessNode> {
  const hostKey = generateEd25519().private;
  let resolveConn: (c: NodeConnection) => void = () => undefined;
  const connected = new Promise<NodeConnection>((resolve) => (resolveConn = resolve));
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => resolveConn(new NodeConnection(nodeId, '127.0.0.1', client, silentLogger(), Date.now())));
    client.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const agent = new ssh2.Client();
  const origins: Array<{ ip: string; port: number }> = [];
  agent.on('tcp connection', (info, accept, reject) => {
    origins.push({ ip: info.srcIP, port: info.srcPort });
    const port = Object.hasOwn(services, info.destIP) ? services[info.destIP] : undefined;
    if (port === undefined) {
      reject();
      return;
    }
    // Half-open, so a test can show a half-close carried end to end (the agent's own
    // forwarder ends both ways when the target ends).
    const target = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const refuse = () => reject();
    target.once('error', refuse);
    target.once('connect', () => {
      target.off('error', refuse);
      joinStreams(accept(), target);
    });
  });
  agent.on('error', () => undefined);
  agent.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, username: nodeId });
  await once(agent, 'ready');
  const conn = await connected;
  for (const name of announced) await new Promise<void>((resolve, reject) => agent.forwardIn(name, SERVICE_PORT, (err) => (err ? reject(err) : resolve())));
  return {
    conn,
    origins,
    async disconnect() {
      const closed = conn.isOpen ? once(conn, 'close') : Promise.resolve();
      agent.end();
      await closed;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
