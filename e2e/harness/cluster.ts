import https from 'node:https';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { NodeView } from '../../src/shared/protocol.js';
import { startScratchPostgres, type ScratchPostgres } from '../../src/server/store/scratchPostgres.js';
import { burrowJson, burrowOk } from './burrowCli.js';
import { renderClusterConfig } from './clusterHaproxy.js';
import { freePort, sessionPortRange } from './freePort.js';
import { Haproxy } from './haproxy.js';
import { ADMIN, ServerStack, type NodeHandle } from './serverStack.js';
import type { BurrowProcess } from './processGroup.js';
import { makeTempDir } from './tempDir.js';
import { waitFor } from './waitFor.js';

/**
 * HAProxy's public address: what `publicUrl` and every session URL name. An address of
 * its own, so no port another process holds on 127.0.0.1 is in the way of its ranges.
 */
export const FRONT = '127.0.0.50';
/** The public address of balancer replica `index` (0: FRONT). */
export function balancerAddress(index: number): string {
  return `127.0.0.${50 + index}`;
}
/** The address HAProxy connects to the instances from: their `proxyProtocolFrom`. */
export const BALANCER_SOURCE = '127.0.0.1';
/** Where the tests reach an instance directly from: not a balancer, so no PROXY header is expected. */
export const DIRECT_FROM = '127.0.0.9';

/** One burrow instance of the cluster. */
export interface Instance {
  /** 0-based. */
  index: number;
  /** Its server name in HAProxy (burrow1, burrow2, …). */
  name: string;
  /** Its `listen` host and `sessionHost`: 127.0.0.2, .3, … */
  address: string;
  port: number;
  /** Its peer link's port (`peerListen`, on its address). */
  peerPort: number;
  home: string;
  sessionPorts: [number, number];
  process?: BurrowProcess;
}

/** How a cluster is built. */
export interface ClusterOptions {
  instances?: number;
  /** Session ports each instance gets (100 unless told). */
  sessionPortsEach?: number;
  /** Settings merged into every instance's server.json. */
  serverConfig?: Record<string, unknown>;
  /** HAProxy's maxconn (global and per frontend), per HAProxy process. */
  maxconn?: number;
  /**
   * HAProxy processes run with the same configuration, each on a public address of its own
   * (127.0.0.50, .51, …; 1 unless told): balancer replicas, as in production, so a fleet
   * larger than one process's descriptor limit allows can connect.
   */
  balancers?: number;
  /** Passed to each `server start` (e.g. BURROW_LOG_LEVEL). */
  env?: NodeJS.ProcessEnv;
}

/** An API answer: status and parsed body. */
export interface ApiReply<T> {
  status: number;
  body: T;
}

/**
 * A scratch PostgreSQL, N `burrow server` instances sharing one deployment on it, and
 * HAProxy in front (packaging/haproxy/burrow-cluster.cfg): the main port balanced over
 * every ready instance, each instance's session port range routed to it. The admin CLI
 * and every node go through HAProxy. `close()` stops and removes everything.
 */
export class Cluster extends ServerStack {
  readonly instances: Instance[] = [];
  databaseUrl = '';
  haproxy?: Haproxy;
  /** Every HAProxy process (the first is `haproxy`), and the main URL each serves (the first is `url`). */
  readonly balancers: { haproxy: Haproxy; url: string }[] = [];
  private postgres?: ScratchPostgres;
  /** The environment every instance starts with. */
  private env: NodeJS.ProcessEnv = {};

  /** Builds and starts the cluster; a failure leaves nothing behind. */
  static async start(o: ClusterOptions = {}): Promise<Cluster> {
    const tmp = await makeTempDir('burrow-cluster-');
    const c = new Cluster(tmp.path, tmp.remove);
    return c.startOrClose(() => c.build(o));
  }

  private async build(o: ClusterOptions): Promise<void> {
    this.postgres = await startScratchPostgres();
    this.databaseUrl = await this.postgres.createDatabase();
    const count = o.instances ?? 3;
    const each = o.sessionPortsEach ?? 100;
    const [from] = sessionPortRange(each * count);
    for (let i = 0; i < count; i++) {
      this.instances.push({
        index: i,
        name: `burrow${i + 1}`,
        address: `127.0.0.${i + 2}`,
        port: await freePort(),
        peerPort: await freePort(),
        home: join(this.dir, `instance-${i + 1}`),
        sessionPorts: [from + i * each, from + (i + 1) * each - 1],
      });
    }
    this.sessionRange = [from, from + count * each - 1];
    // HAProxy binds the main port and every session range on one address: they must not overlap.
    let frontPort = await freePort();
    while (frontPort >= from && frontPort <= from + count * each - 1) frontPort = await freePort();
    this.url = `https://${FRONT}:${frontPort}`;
    await this.initFirst(this.instances[0] as Instance);
    for (const inst of this.instances.slice(1)) await this.joinHome(inst);
    for (const inst of this.instances) await this.writeConfig(inst, o.serverConfig ?? {});
    const maxconn = o.maxconn ?? 4096;
    for (let b = 0; b < (o.balancers ?? 1); b++) {
      const front = balancerAddress(b);
      const haproxy = await Haproxy.launch((statsSocket) => renderClusterConfig({ front, frontPort, source: BALANCER_SOURCE, maxconn, statsSocket, instances: this.instances }));
      this.balancers.push({ haproxy, url: `https://${front}:${frontPort}` });
    }
    this.haproxy = this.balancers[0]?.haproxy;
    this.env = o.env ?? {};
    await Promise.all(this.instances.map((inst) => this.startInstance(inst)));
    await this.login();
  }

  /** `server init --database` into the first instance's home. */
  private async initFirst(first: Instance): Promise<void> {
    await writeFile(this.passwordFile, ADMIN.password, { mode: 0o600 });
    const r = await burrowJson<{ totpSecret: string; fingerprint: string }>([
      'server', 'init', '--home', first.home, '--admin-email', ADMIN.email, '--admin-password-file', this.passwordFile, '--database', this.databaseUrl,
      ...this.ownOptions(first),
    ]);
    Object.assign(this, { pin: r.fingerprint, totpSecret: r.totpSecret });
  }

  /** The `server init` options that differ per instance (and the shared public URL). */
  private ownOptions(inst: Instance): string[] {
    return ['--public-url', this.url, '--listen', `${inst.address}:${inst.port}`, '--session-host', inst.address, '--session-ports', inst.sessionPorts.join('-'), '--peer-listen', `${inst.address}:${inst.peerPort}`];
  }

  /** `server init --join` from a secrets bundle of the first instance, as README's "Running several instances" says. */
  private async joinHome(inst: Instance): Promise<void> {
    const passphrase = join(this.dir, 'bundle-passphrase');
    const bundle = join(this.dir, 'deployment.bundle');
    await writeFile(passphrase, 'cluster bundle passphrase', { mode: 0o600 });
    await burrowOk(['server', 'backup', '--home', (this.instances[0] as Instance).home, '--to', bundle, '--secrets-only', '--passphrase-file', passphrase]);
    await burrowOk(['server', 'init', '--join', bundle, '--home', inst.home, '--database', this.databaseUrl, '--passphrase-file', passphrase, ...this.ownOptions(inst)]);
  }

  /** The instance's server.json, with the balancer's address in `proxyProtocolFrom` and `extra` merged in. */
  private async writeConfig(inst: Instance, extra: Record<string, unknown>): Promise<void> {
    const file = join(inst.home, 'server.json');
    const own = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...own, proxyProtocolFrom: [`${BALANCER_SOURCE}/32`], ...extra }, null, 2), { mode: 0o600 });
  }

  /**
   * Starts `burrow server start` for the instance and waits until it answers /readyz and
   * HAProxy's health check finds it ready (HAProxy may still show a restarted instance's
   * predecessor as up, hence both).
   */
  async startInstance(inst: Instance, env: NodeJS.ProcessEnv = this.env): Promise<void> {
    const proc = this.procs.spawn(inst.name, ['server', 'start', '--home', inst.home], join(this.dir, `${inst.name}.log`), { env });
    inst.process = proc;
    await waitFor(`${inst.name} to be ready, directly and for HAProxy`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${inst.name} exited with ${proc.child.exitCode}`);
      const ready = await this.request(inst, 'GET', '/readyz', { auth: false }).then((r) => r.status === 200, () => false);
      if (!ready) return false;
      for (const b of this.balancers) {
        const row = await b.haproxy.serverStat('burrow', inst.name);
        if (row?.status !== 'UP' || row.check_status !== 'L7OK') return false;
      }
      return true;
    }, { timeoutMs: 30_000 });
  }

  /** SIGKILLs the instance (a crash) and waits until it is gone. */
  async killInstance(inst: Instance): Promise<void> {
    if (inst.process) await this.procs.kill(inst.process);
  }

  /** Stops the instance (SIGTERM), starts it again and waits until HAProxy finds it ready: one step of a rolling upgrade. */
  async restartInstance(inst: Instance): Promise<void> {
    if (inst.process) await this.procs.stop(inst.process, 10_000);
    await this.startInstance(inst);
  }

  /** The instances whose process runs. */
  get live(): Instance[] {
    return this.instances.filter((i) => i.process && i.process.child.exitCode === null && i.process.child.signalCode === null);
  }

  /** The instance's id (instance-id in its home). */
  async instanceId(inst: Instance): Promise<string> {
    return (await readFile(join(inst.home, 'instance-id'), 'utf8')).trim();
  }

  /** An API call with the admin's token (unless `auth` is false) straight to `target` (an instance, or the balancer), from `from`. */
  request<T>(target: Instance | 'balancer', method: string, path: string, o: { body?: unknown; from?: string; auth?: boolean } = {}): Promise<ApiReply<T>> {
    const base = target === 'balancer' ? this.url : `https://${target.address}:${target.port}`;
    return new Promise((resolve, reject) => {
      const data = o.body === undefined ? undefined : JSON.stringify(o.body);
      const headers = { ...(o.auth === false ? {} : { authorization: `Bearer ${this.apiToken}` }), ...(data ? { 'content-type': 'application/json' } : {}) };
      const req = https.request(new URL(path, base), { method, localAddress: o.from ?? DIRECT_FROM, agent: false, rejectUnauthorized: false, headers, timeout: 10_000 }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
          } catch (err) {
            reject(err as Error);
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} on ${base} timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  /**
   * Which live instance holds each connected node's tunnel, by node id. From the store's
   * node routes where the database has them; otherwise from each instance's own view of
   * its nodes (a node is online on the instance holding it).
   */
  async holders(): Promise<Map<string, Instance>> {
    const held = new Map<string, Instance>();
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      const routes = (await client.query<{ t: string | null }>("SELECT to_regclass('node_routes')::text AS t")).rows[0]?.t;
      if (routes) {
        const byId = new Map(await Promise.all(this.instances.map(async (i) => [await this.instanceId(i), i] as const)));
        for (const r of (await client.query<{ node_id: string; instance_id: string }>('SELECT node_id, instance_id FROM node_routes')).rows) {
          const inst = byId.get(r.instance_id);
          if (inst && this.live.includes(inst)) held.set(r.node_id, inst);
        }
        return held;
      }
    } finally {
      await client.end();
    }
    for (const inst of this.live) {
      const r = await this.request<NodeView[]>(inst, 'GET', '/v1/nodes');
      if (r.status !== 200) throw new Error(`GET /v1/nodes on ${inst.name}: ${r.status}`);
      for (const n of r.body) if (n.online) held.set(n.id, inst);
    }
    return held;
  }

  /** Whether the node's agent says its tunnel is up (`burrow node status`). */
  async agentConnected(node: NodeHandle): Promise<boolean> {
    return (await burrowJson<{ connected: boolean }>(['node', 'status', '--home', node.home])).connected;
  }

  /** Starts the agent of an enrolled node and waits until its tunnel is up and an instance holds it; returns that instance. */
  async runAgentHeld(node: NodeHandle, timeoutMs = 30_000): Promise<Instance> {
    this.runAgent(node);
    return waitFor(`node ${node.name} to be held by an instance`, async () => (await this.agentConnected(node)) && (await this.holders()).get(node.id), { timeoutMs, intervalMs: 250 });
  }

  /** The daemons' logs (for a failing test's output). */
  logTails(): string {
    return this.procs.logTails();
  }

  /** Stops HAProxy and the database (after the processes, which `close()` stops first). */
  protected override async closeOwn(): Promise<void> {
    for (const b of this.balancers) await b.haproxy.stop();
    await this.postgres?.stop();
  }
}
