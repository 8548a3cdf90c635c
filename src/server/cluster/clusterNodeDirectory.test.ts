import { beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'ssh2';
import { FakeClock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/log.js';
import { SERVICE_PORT, type ServiceChange } from '../../shared/protocol.js';
import { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import type { Database } from '../store/database.js';
import { loadMigrations, migrate } from '../store/migrate.js';
import { describeEachStore } from '../store/testStores.js';
import { insertGroup } from '../store/groupStore.js';
import { insertNode } from '../store/nodeStore.js';
import { dropNodeRoute, getNodeRoute, putNodeRoute } from '../store/nodeRouteStore.js';
import { ClusterBusNetwork } from '../testing/clusterBusNetwork.js';
import { ClusterNodeDirectory } from './clusterNodeDirectory.js';
import { announceRoute, routeOf } from './heldRoutes.js';
import { InstanceRegistry } from './instanceRegistry.js';
import type { PeerDialer } from './peerDialer.js';
import { PeerNode } from './peerNode.js';

const MIGRATIONS = fileURLToPath(new URL('../../../../migrations', import.meta.url));
const T = 1_700_000_000_000;
const [A, B] = ['i-00000000000a', 'i-00000000000b'];
const ORIGIN = { ip: '203.0.113.7', port: 50000 };

/**
 * The SSH side of a node's tunnel without a tunnel: each channel opened to a service answers
 * every write with `<node>/<service>:<what was written>`, so a test sees where its bytes went.
 */
class FakeTunnel extends EventEmitter {
  constructor(private readonly nodeId: string) {
    super();
  }
  forwardOut(service: string, _port: number, _ip: string, _originPort: number, cb: (err: Error | undefined, channel: Duplex) => void): void {
    const nodeId = this.nodeId;
    cb(undefined, new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        this.push(`${nodeId}/${service}:${chunk.toString()}`);
        done();
      },
    }));
  }
  end(): void {
    this.emit('close');
  }
  /** The agent announces a service, as its tcpip-forward request does. */
  announce(service: string): void {
    this.emit('request', () => undefined, () => undefined, 'tcpip-forward', { bindAddr: service, bindPort: SERVICE_PORT });
  }
}

/** One instance: its tunnels, its directory and its row, on its own store connection and clock. */
interface Instance {
  id: string;
  local: NodeRegistry;
  directory: ClusterNodeDirectory;
  registry: InstanceRegistry;
  clock: FakeClock;
  db: Database;
}

describeEachStore('ClusterNodeDirectory', (store) => {
  let db: Database;
  let network: ClusterBusNetwork;
  const instances = new Map<string, Instance>();

  /** Reaches a node through the instance whose peer URL is given, as the mTLS peer link does. */
  const dialer: PeerDialer = {
    openService: (peerUrl, nodeId, service, origin) => {
      const holder = [...instances.values()].find((i) => peerUrl === `https://${i.id}.example:7443`);
      const conn = holder?.local.get(nodeId);
      if (!conn) return Promise.reject(new BurrowError('NODE_OFFLINE', `Node ${nodeId} is not held at ${peerUrl}.`));
      return conn.openService(service, origin);
    },
    close: () => Promise.resolve(),
  };

  beforeEach(async () => {
    db = await store.create();
    await migrate(db, await loadMigrations(MIGRATIONS));
    await insertGroup(db, { id: 'root', name: 'root', parentId: null }, T);
    for (const id of ['nd_1', 'nd_2']) {
      await insertNode(db, { id, name: id, groupId: 'root', publicKey: `key-${id}`, status: 'approved', services: ['webui'], agentVersion: '1.0', createdAt: T, enrolledBy: null });
    }
    network = new ClusterBusNetwork();
    instances.clear();
  });

  async function start(id: string): Promise<Instance> {
    const clock = new FakeClock(T);
    const idb = await store.another(db);
    const bus = network.member(id);
    const registry = new InstanceRegistry({ db: idb, bus, clock, log: silentLogger(), peerUrl: `https://${id}.example:7443`, heartbeatMs: 5_000, deadAfterMs: 20_000 });
    await registry.start();
    const local = new NodeRegistry();
    const directory = new ClusterNodeDirectory({ local, bus, db: idb, clock, log: silentLogger(), dialer });
    await directory.start();
    const instance = { id, local, directory, registry, clock, db: idb };
    instances.set(id, instance);
    return instance;
  }

  /**
   * A node's tunnel arriving at instance `at`, with its services announced; its route is
   * written and announced, and dropped when the tunnel ends, as burrowServer does.
   */
  async function connect(at: Instance, nodeId: string, services: string[], connectedAt: number): Promise<{ conn: NodeConnection; tunnel: FakeTunnel; gone: Promise<void> }> {
    const tunnel = new FakeTunnel(nodeId);
    const conn = new NodeConnection(nodeId, '198.51.100.1', tunnel as unknown as Connection, silentLogger(), connectedAt, new Map([['webui', { scheme: 'http', host: '127.0.0.1', port: 80 }]]));
    at.local.add(conn);
    for (const s of services) tunnel.announce(s);
    await at.db.transaction((tx) => putNodeRoute(tx, routeOf(conn, at.id)));
    await announceRoute(network.member(at.id), conn, true);
    const gone = once(conn, 'close').then(async () => {
      await at.db.transaction((tx) => dropNodeRoute(tx, nodeId, at.id, connectedAt));
      await announceRoute(network.member(at.id), conn, false);
    });
    return { conn, tunnel, gone };
  }

  async function settle(): Promise<void> {
    for (const i of instances.values()) await i.directory.idle();
  }

  async function stopAll(): Promise<void> {
    for (const i of instances.values()) {
      await i.directory.close();
      await i.registry.close();
    }
  }

  it('reaches a node another instance holds, and sees it go offline when its route goes', async () => {
    const a = await start(A);
    const b = await start(B);
    const onlineAtA: string[] = [];
    const offlineAtA: string[] = [];
    a.directory.on('online', (id: string) => onlineAtA.push(id));
    a.directory.on('offline', (id: string) => offlineAtA.push(id));
    const { conn, tunnel, gone } = await connect(b, 'nd_1', ['webui'], T);
    await settle();

    assert.deepEqual(onlineAtA, ['nd_1']);
    assert.deepEqual([a.directory.isOnline('nd_1'), a.directory.holds('nd_1'), a.directory.size, b.directory.holds('nd_1'), b.directory.size], [true, false, 1, true, 1]);
    const handle = a.directory.get('nd_1');
    assert.ok(handle instanceof PeerNode);
    assert.deepEqual([[...handle.services], handle.targets.get('webui')?.port, handle.remoteIp, handle.connectedAt], [['webui'], 80, '198.51.100.1', T]);
    assert.equal(b.directory.get('nd_1'), conn, 'the holder hands out its own connection');

    // openService crosses to B (through the test's peer dialer) and reaches the node's service.
    const channel = await handle.openService('webui', ORIGIN);
    channel.write('GET /');
    assert.equal(String((await once(channel, 'data'))[0]), 'nd_1/webui:GET /');
    channel.destroy();
    await assert.rejects(handle.openService('ssh', ORIGIN), (err: BurrowError) => err.code === 'SERVICE_UNAVAILABLE_ON_NODE');

    // A service change asked at A runs on B's connection; the node's answer comes back to A.
    const change: ServiceChange & { id: string } = { id: 'chg-1', set: { api: '127.0.0.1:8080' }, remove: [] };
    const pushed = once(conn, 'service-change');
    assert.equal(handle.pushServiceChange(change), true);
    assert.deepEqual((await pushed)[0], change);
    const answered = once(handle, 'service-result');
    conn.emit('service-result', { id: 'chg-1', applied: true });
    assert.deepEqual((await answered)[0], { id: 'chg-1', applied: true });

    // An approval asked at A travels to B's status channel; the decision on site comes back to A.
    const request = { id: 'apr_cluster0001', kind: 'session' as const, service: 'webui', subject: 'ses_1', user: 'ops@example.com', from: '192.0.2.1', what: 'a WebUI session', validUntil: new Date(T + 60_000).toISOString() };
    const asked = once(conn, 'approval-push');
    assert.equal(handle.pushApproval({ request }), true);
    assert.deepEqual((await asked)[0], { request });
    const decided = once(handle, 'approval-decision');
    conn.emit('approval-decision', { id: 'apr_cluster0001', outcome: 'approved', by: 'alice', reason: '' });
    assert.deepEqual((await decided)[0], { id: 'apr_cluster0001', outcome: 'approved', by: 'alice', reason: '' });

    // A later service announced at B reaches A's view once B writes the route again.
    const services = once(handle, 'services');
    tunnel.announce('api');
    await b.db.transaction((tx) => putNodeRoute(tx, routeOf(conn, B)));
    await announceRoute(network.member(B), conn, true);
    assert.deepEqual((await services)[0], ['api', 'webui']);

    // Revoking at A cuts the tunnel at B; the route goes, and A sees the node offline.
    const handleClosed = once(handle, 'close');
    a.directory.disconnect('nd_1');
    await gone;
    await settle();
    await handleClosed;
    assert.equal(conn.isOpen, false);
    assert.deepEqual(offlineAtA, ['nd_1']);
    assert.deepEqual([a.directory.isOnline('nd_1'), a.directory.size, handle.isOpen], [false, 0, false]);
    await assert.rejects(handle.openService('webui', ORIGIN), (err: BurrowError) => err.code === 'NODE_OFFLINE');
    await stopAll();
  });

  it('forgets the routes of an instance declared dead', async () => {
    const a = await start(A);
    const b = await start(B);
    await connect(b, 'nd_1', ['webui'], T);
    await connect(b, 'nd_2', ['webui'], T);
    // Another instance, started later, loads the routes from the store.
    await settle();
    assert.deepEqual([a.directory.size, a.directory.isOnline('nd_2')], [2, true]);
    const offline: string[] = [];
    a.directory.on('offline', (id: string) => offline.push(id));
    // B stops beating (its clock stands still); A's sweep declares it dead. A first saw B at
    // its first beat (B started after A's start), and declares it once B's heartbeat has stood
    // still for longer than deadAfterMs on A's clock: at A's sixth beat.
    for (let i = 0; i < 6; i++) {
      a.clock.advance(5_000);
      await a.registry.idle();
    }
    await settle();
    assert.deepEqual(offline.sort(), ['nd_1', 'nd_2']);
    assert.equal(a.directory.size, 0);
    assert.equal(await getNodeRoute(db, 'nd_1'), undefined);
    await stopAll();
  });

  it('loads the routes held elsewhere at start', async () => {
    const b = await start(B);
    await connect(b, 'nd_1', ['webui'], T);
    const a = await start(A);
    assert.equal(a.directory.get('nd_1')?.isOpen, true);
    assert.equal(a.directory.holds('nd_1'), false);
    await stopAll();
  });

  it('lets a node reconnecting to another instance replace its old tunnel and route', async () => {
    const a = await start(A);
    const b = await start(B);
    const old = await connect(b, 'nd_1', ['webui'], T);
    await settle();
    const offline: string[] = [];
    for (const i of [a, b]) i.directory.on('offline', (id: string) => offline.push(`${i.id}:${id}`));
    // The node's link to B went half-dead; it comes back through A.
    const fresh = await connect(a, 'nd_1', ['webui'], T + 1_000);
    await settle();
    await old.gone;
    await settle();
    assert.equal(old.conn.isOpen, false, 'B let go of the older tunnel');
    assert.equal((await getNodeRoute(db, 'nd_1'))?.instanceId, A);
    assert.equal(a.directory.get('nd_1'), fresh.conn);
    const atB = b.directory.get('nd_1');
    assert.ok(atB instanceof PeerNode);
    assert.equal(atB.instanceId, A);
    assert.deepEqual(offline, [], 'the node stayed online throughout');
    const channel = await atB.openService('webui', ORIGIN);
    channel.write('x');
    assert.equal(String((await once(channel, 'data'))[0]), 'nd_1/webui:x');
    channel.destroy();
    await stopAll();
  });
});
