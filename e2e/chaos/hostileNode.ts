import net from 'node:net';
import type ssh2 from 'ssh2';
import type { ChaosContext } from './chaosContext.js';
import { pause, request, serverPort, serverRssKiB, serverRunning, sessionServes } from './probes.js';
import { CHAOS_SERVER_CONFIG } from './sizes.js';
import { nodeNamed, nodePrivateKey, sshOverTunnel } from './tunnelClient.js';

/** Resolves true if the server accepted what `start` asked for, false if it refused. */
function outcome(start: (cb: (err: Error | undefined) => void) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    start((err) => {
      clearTimeout(timer);
      resolve(!err);
    });
  });
}

/** Opens `count` TCP connections to a session port and returns them once each has connected or failed. */
async function flood(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(Array.from({ length: count }, () => new Promise<net.Socket>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    s.once('connect', () => resolve(s));
    s.once('close', () => resolve(s));
  })));
}

/**
 * A node that is hostile, or a stolen node key: it opens thousands of channels towards the
 * server (shells, direct-tcpip), announces too many services, claims another node's id,
 * holds every channel the server opens to it, and tries its key on the API.
 */
export async function hostileNode(ctx: ChaosContext): Promise<void> {
  const { stack, size, figures } = ctx;
  const row = figures.row('hostile node (ssh)');
  const evil = stack.nodes.find((x) => x.name === 'evil') ?? await stack.enrollNode('evil', await stack.enrollToken({ autoApprove: true }));
  const key = await nodePrivateKey(evil.home);
  const rssBefore = serverRssKiB(stack);

  // Claiming another node's id with its own key is refused.
  const n1 = nodeNamed(stack, 'n1');
  const impostor = await sshOverTunnel(stack.url, n1.id, key);
  row.cases += 1;
  figures.check('hostile node (ssh)', impostor.client === undefined, 'a node authenticated as another node with its own key');
  impostor.client?.end();

  const { client, refused } = await sshOverTunnel(stack.url, evil.id, key);
  if (!client) {
    figures.fail('hostile node (ssh)', `the enrolled evil node could not connect: ${refused ?? ''}`);
    return;
  }
  const c: ssh2.Client = client;
  // Channels towards the server: every one refused, in batches so the flood is real.
  let accepted = 0;
  for (let i = 0; i < size.sshChannels; i += 50) {
    const batch = Array.from({ length: Math.min(50, size.sshChannels - i) }, (_, j) =>
      (i + j) % 2
        ? outcome((cb) => c.forwardOut('127.0.0.1', 0, '127.0.0.1', 22, (err, ch) => { ch?.close(); cb(err); }))
        : outcome((cb) => c.exec('id', (err, ch) => { ch?.close(); cb(err); })));
    accepted += (await Promise.all(batch)).filter(Boolean).length;
  }
  row.cases += size.sshChannels;
  figures.check('hostile node (ssh)', accepted === 0, `${accepted} node-opened channels were accepted (shell or direct-tcpip)`);

  // Services: only valid names, at most maxServicesPerNode.
  const names = ['webui', ...Array.from({ length: CHAOS_SERVER_CONFIG.maxServicesPerNode + 4 }, (_, i) => `svc${i}`)];
  const announced = await Promise.all(names.map((name) => outcome((cb) => c.forwardIn(name, 1, (err) => cb(err)))));
  const bad = await Promise.all(['../etc', 'a b', '127.0.0.1'].map((name) => outcome((cb) => c.forwardIn(name, 1, (err) => cb(err)))));
  row.cases += names.length + bad.length;
  const ok = announced.filter(Boolean).length;
  row.limitsHit += names.length - ok;
  figures.check('hostile node (ssh)', ok === CHAOS_SERVER_CONFIG.maxServicesPerNode, `${ok} services were accepted, the limit is ${CHAOS_SERVER_CONFIG.maxServicesPerNode}`);
  figures.check('hostile node (ssh)', bad.every((x) => !x), 'a service with an invalid name was accepted');

  // Channels from the server: the node accepts and holds every one; the server stops at maxChannelsPerNode.
  const held: ssh2.ClientChannel[] = [];
  c.on('tcp connection', (_info, accept) => held.push(accept()));
  const sessions = await Promise.all([0, 1, 2].map(() => stack.api<{ id: string; port: number }>('POST', '/v1/sessions', { node: evil.id, service: 'webui', type: 'tcp', bare: true })));
  const sockets = (await Promise.all(sessions.map((s) => flood(s.port, CHAOS_SERVER_CONFIG.maxSessionConnectionsPerIp)))).flat();
  await pause(1_000);
  const chRow = figures.row('per-node channel limit');
  chRow.cases += sockets.length;
  chRow.limitsHit += sockets.filter((s) => s.destroyed).length;
  figures.check('per-node channel limit', held.length <= CHAOS_SERVER_CONFIG.maxChannelsPerNode, `the server opened ${held.length} channels to one node, limit ${CHAOS_SERVER_CONFIG.maxChannelsPerNode}`);
  figures.check('per-node channel limit', chRow.limitsHit > 0, 'no connection was turned away at the per-node channel limit');
  for (const s of sockets) s.destroy();
  for (const s of sessions) await stack.api('DELETE', `/v1/sessions/${s.id}`);

  // The node key is no API credential.
  for (const bearer of [key.split('\n').slice(1, -2).join(''), evil.id, key]) {
    const r = await request({ port: serverPort(stack), method: 'GET', path: '/v1/nodes', headers: { authorization: `Bearer ${bearer.replace(/\s+/g, '')}` } });
    row.cases += 1;
    figures.check('hostile node (ssh)', r.status === 401, `the API answered ${r.status} to a node key as bearer`);
  }
  c.end();
  if (!serverRunning(stack)) {
    row.crashes += 1;
    figures.fail('hostile node (ssh)', 'the server died');
    return;
  }
  const growthMiB = (serverRssKiB(stack) - rssBefore) / 1024;
  figures.check('hostile node (ssh)', growthMiB < 200, `server memory grew by ${growthMiB.toFixed(0)} MiB under the channel flood`);
  figures.check('hostile node (ssh)', await sessionServes(ctx.session), 'the live session stopped serving after the hostile node');
}
