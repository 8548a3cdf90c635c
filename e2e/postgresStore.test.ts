import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { SessionView } from '../src/shared/protocol.js';
import { startScratchPostgres, type ScratchPostgres } from '../src/server/store/scratchPostgres.js';
import { runBurrow } from './harness/burrowCli.js';
import { freePort } from './harness/freePort.js';
import { enterSession, getBody } from './harness/httpGet.js';
import { Stack } from './harness/stack.js';
import { makeTempDir } from './harness/tempDir.js';
import { waitFor } from './harness/waitFor.js';

/** The cluster's password: it must show up in no output, log or error. */
const PASSWORD = 'pg-e2e-s3cret-word';

// Issue 20: PostgreSQL as the second store, chosen with `server init --database postgres://…`.
describe('a server on PostgreSQL', () => {
  let cluster: ScratchPostgres | undefined;
  let stack: Stack | undefined;
  let url = '';
  const s = () => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };

  before(async () => {
    cluster = await startScratchPostgres({ tcp: { port: await freePort(), password: PASSWORD } });
    url = await cluster.createDatabase();
    stack = await Stack.start({ initArgs: ['--database', url] });
  });
  afterEach((t) => {
    if (!t.passed && stack) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${stack.procs.logTails()}\n`);
  });
  after(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  it('keeps its store in the PostgreSQL database, not in a SQLite file in the home', async () => {
    const config = JSON.parse(await readFile(join(s().serverHome, 'server.json'), 'utf8')) as { database?: string };
    assert.equal(config.database, url);
    assert.ok(!(await readdir(s().serverHome)).some((f) => f.startsWith('burrow.db')), 'no SQLite file in the home');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const nodes = await client.query<{ id: string; status: string }>('SELECT id, status FROM nodes');
      assert.deepEqual(nodes.rows, [{ id: s().node.id, status: 'approved' }]);
    } finally {
      await client.end();
    }
  });

  it('registers the instance and records which instance holds the node\'s tunnel', async () => {
    const instanceId = (await readFile(join(s().serverHome, 'instance-id'), 'utf8')).trim();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const instances = await client.query<{ id: string; state: string }>('SELECT id, state FROM instances');
      assert.deepEqual(instances.rows, [{ id: instanceId, state: 'live' }]);
      const route = await waitFor('the node route', async () => (await client.query<{ node_id: string; instance_id: string; services: string }>('SELECT node_id, instance_id, services FROM node_routes')).rows[0]);
      assert.deepEqual([route.node_id, route.instance_id], [s().node.id, instanceId]);
      assert.ok((JSON.parse(route.services) as string[]).includes('webui'), route.services);
      // A second node's tunnel: its route comes with it and goes with it.
      const other = await s().enrollNode('p2', await s().enrollToken({ autoApprove: true }));
      const agent = s().runAgent(other);
      await s().waitOnline(other.id, true);
      await waitFor('the second node\'s route', async () => (await client.query('SELECT 1 FROM node_routes WHERE node_id = $1', [other.id])).rowCount === 1);
      agent.child.kill('SIGTERM');
      await agent.exited;
      await s().waitOnline(other.id, false);
      await waitFor('the second node\'s route to go', async () => (await client.query('SELECT 1 FROM node_routes WHERE node_id = $1', [other.id])).rowCount === 0);
      assert.equal((await client.query('SELECT 1 FROM node_routes WHERE node_id = $1', [s().node.id])).rowCount, 1);
    } finally {
      await client.end();
    }
  });

  it('relays a session to the enrolled node through the tunnel', async () => {
    const session = await s().adminJson<SessionView>(['session', 'open', s().node.id]);
    const { origin, cookie } = await enterSession(session.url, s().pin);
    const relayed = await getBody(`${origin}/`, s().pin, cookie);
    assert.equal(relayed.status, 200);
    assert.deepEqual(relayed.body, (await getBody(s().webUi.url)).body);
    await s().admin(['session', 'close', session.id]);
  });

  it('keeps an audit chain that `audit verify` finds intact, and logs no password', async () => {
    const r = await runBurrow(['admin', 'audit', 'verify'], { env: { BURROW_HOME: s().adminHome } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /intact: \d+ entries/);
    const log = await readFile(join(s().dir, 'server.log'), 'utf8');
    assert.ok(!log.includes(PASSWORD), 'the server log holds the database password');
  });

  it('refuses an unreachable database in one sentence that hides the password', async () => {
    const home = await makeTempDir();
    try {
      const r = await runBurrow(['server', 'init', '--home', home.path, '--listen', '127.0.0.1:1', '--database', `postgres://burrow:${PASSWORD}@127.0.0.1:1/burrow`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr.trim(), /^burrow: Cannot reach the database postgres:\/\/burrow:\*\*\*@127\.0\.0\.1:1\/burrow: [^\n]+\.$/);
      const bad = await runBurrow(['server', 'init', '--home', home.path, '--database', `mysql://burrow:${PASSWORD}@db/burrow`]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr.trim(), /^burrow: --database: expected a PostgreSQL URL[^\n]*\.$/);
      for (const out of [r.stdout, r.stderr, bad.stdout, bad.stderr]) assert.ok(!out.includes(PASSWORD), out);
    } finally {
      await home.remove();
    }
  });

  it('refuses to initialize a second server into a database that already holds one', async () => {
    const home = await makeTempDir();
    try {
      const r = await runBurrow(['server', 'init', '--home', home.path, '--listen', '127.0.0.1:1', '--database', url]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr.trim(), /^burrow: The database postgres:\/\/burrow:\*\*\*@[^ ]+ already holds a burrow server; give "server init" an empty database, or add this instance to that deployment with --join\.$/);
    } finally {
      await home.remove();
    }
  });
});
