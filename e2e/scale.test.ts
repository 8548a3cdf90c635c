import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../bench/lib/fleet.js';
import { startBurrowServer } from '../bench/lib/burrowStack.js';
import http from 'node:http';
import https from 'node:https';
import { measureFloor, startFloorRelay } from '../bench/floorBench.js';

const NODES = 200;

// Issue 9, CI-sized: many real agent connections (wss + SSH each) on one server, all back
// after the server is SIGKILLed and restarted. Correctness only; `make bench` times it.
describe(`${NODES} idle nodes on one server`, () => {
  it('all connect, and all come back by themselves after the server is killed', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-scale-'));
    const server = await startBurrowServer(dir, { sessionPorts: '40000-40100' });
    const held: { fleet?: Fleet } = {};
    t.after(async () => {
      await held.fleet?.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });
    const token = (await server.admin<{ token: string }>('enroll-token', 'create', '--auto-approve', '--uses', String(NODES), '--ttl', '1h')).token;
    const fleet = await Fleet.enroll({ serverUrl: server.url, token, count: NODES, prefix: 'scale-' });
    held.fleet = fleet;
    fleet.start();
    await fleet.waitConnected(NODES, 120_000);
    const online = async () => (await server.admin<{ online: boolean }[]>('nodes')).filter((n) => n.online).length;
    assert.equal(await online(), NODES);

    await server.restart('SIGKILL');
    await fleet.waitConnected(NODES, 120_000);
    assert.equal(await online(), NODES, 'every node is back, none gave up');
  });
});

// The bench's floor (the same tunnels from Node, ws and ssh2 alone) must keep working, or
// `make bench` would stop showing which targets lie below it.
describe('the bench floor', () => {
  it('relays a request from its TLS port through its tunnel to the origin', async (t) => {
    const origin = http.createServer((_req, res) => res.end('from the origin'));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    t.after(() => origin.close());
    const relay = await startFloorRelay((origin.address() as { port: number }).port);
    t.after(relay.close);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${relay.path.base}/1k`, { rejectUnauthorized: false }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(body, 'from the origin');
  });

  it('brings up every bare TLS connection and every ws + ssh2 tunnel it measures', async () => {
    const floor = await measureFloor(40, 200, 40);
    assert.ok(floor.agentFloorKiB > 10 * 1024, `a Node process holding a tunnel has more than 10 MiB resident (${floor.agentFloorKiB} KiB)`);
    assert.ok(Number.isFinite(floor.tlsPerConnectionKiB) && Number.isFinite(floor.tunnelPerConnectionKiB));
  });
});
