import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { ALERTS_LEASE_KEY } from '../src/server/cluster/openLeaderLease.js';
import { Cluster, type Instance } from './harness/cluster.js';
import type { NodeHandle } from './harness/serverStack.js';
import { waitFor } from './harness/waitFor.js';

// Issue 20: every instance used to run its own alert engine, so an operator's webhook got
// each alert once per instance. One instance (the holder of the alerts lease) sends them;
// when it is killed another takes over, and alerts still arrive exactly once.
describe('alerts from three instances on PostgreSQL', () => {
  let cluster: Cluster | undefined;
  const c = () => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };
  const events: string[] = [];
  const webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      events.push((JSON.parse(body) as { event: string }).event);
      res.writeHead(204).end();
    });
  });
  let node: NodeHandle;

  /** The live instance whose lock connection holds the alerts lease, if any. */
  async function leader(): Promise<Instance | undefined> {
    const client = new pg.Client({ connectionString: c().databaseUrl });
    await client.connect();
    try {
      const r = await client.query<{ name: string }>(
        "SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1",
        [ALERTS_LEASE_KEY],
      );
      const names = r.rows.map((row) => row.name);
      assert.ok(names.length <= 1, `one holder at most: ${names.join(', ')}`);
      for (const inst of c().live) if (names[0] === `burrow-alerts-${await c().instanceId(inst)}`) return inst;
      return undefined;
    } finally {
      await client.end();
    }
  }

  /** Stops the node's agent, then starts it again: one outage, reported once and its end once. */
  async function outage(label: string): Promise<void> {
    const before = events.length;
    assert.ok(node.agent);
    await c().procs.kill(node.agent);
    await waitFor(`${label}: the offline alert`, () => events.length > before, { timeoutMs: 60_000 });
    await c().runAgentHeld(node, 60_000);
    await waitFor(`${label}: the recovery alert`, () => events.slice(before).includes('node.online'), { timeoutMs: 60_000 });
  }

  before(async () => {
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    cluster = await Cluster.start({ instances: 3, serverConfig: { alertPrivateTargets: true, alertPollMs: 500, alertStartupGraceMs: 10_000 } });
    const token = await cluster.enrollToken({ autoApprove: true });
    node = await cluster.enroll('watched', token, { services: {} });
    await cluster.runAgentHeld(node);
    const secret = join(cluster.dir, 'hook-secret');
    await writeFile(secret, 'cluster-webhook-secret-0123456789\n');
    await cluster.admin(['alerts', 'channels', 'add', 'ops-hook', '--group', 'root', '--webhook', `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/burrow`, '--secret-file', secret]);
    // Quiet periods of a second: both outages are announced, so a duplicate would show.
    await cluster.admin(['alerts', 'rules', 'add', 'offline', '--group', 'root', '--kind', 'node.offline', '--after', '3s', '--quiet', '1s', '--channel', 'ops-hook']);
    await cluster.admin(['alerts', 'rules', 'add', 'back', '--group', 'root', '--kind', 'node.online', '--quiet', '1s', '--channel', 'ops-hook']);
  });
  afterEach((t) => {
    if (!t.passed && cluster) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${cluster.logTails()}\n`);
  });
  after(async () => {
    await cluster?.close();
    webhook.closeAllConnections();
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  });

  it('sends one alert per event from one instance, and still one after that instance is killed', async () => {
    await outage('first outage');
    assert.deepEqual(events, ['node.offline', 'node.online'], 'one alert for the outage and one for its end, not one per instance');
    const first = await waitFor('an instance to hold the alerts lease', () => leader(), { timeoutMs: 30_000 });

    await c().killInstance(first);
    const second = await waitFor('a survivor to take the alerts lease', () => leader(), { timeoutMs: 30_000 });
    assert.notEqual(second, first);
    await waitFor('the node to be held by a survivor', async () => c().live.includes((await c().holders()).get(node.id) as Instance) && (await c().agentConnected(node)), { timeoutMs: 60_000 });
    await outage('second outage');
    assert.deepEqual(events, ['node.offline', 'node.online', 'node.offline', 'node.online'], 'the new leader sends each alert once');
  });
});
