import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { requestJson } from '../src/shared/pinnedHttps.js';
import type { NodeView } from '../src/shared/protocol.js';
import { startScratchPostgres, type ScratchPostgres } from '../src/server/store/scratchPostgres.js';
import { runBurrow } from './harness/burrowCli.js';
import { freePort, sessionPortRange } from './harness/freePort.js';
import { holdEvents } from './harness/heldConnections.js';
import { Stack } from './harness/stack.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

/** What a second instance must not share with the first: its store file, lock and identity. */
const NOT_SHARED = new Set(['burrow.db', 'burrow.db-wal', 'burrow.db-shm', 'server.lock', 'instance-id']);

// Issue 20: two instances on one PostgreSQL database hear each other through LISTEN/NOTIFY.
describe('two instances on one PostgreSQL database', () => {
  let cluster: ScratchPostgres | undefined;
  let stack: Stack | undefined;
  let urlB = '';
  const s = () => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };
  /** The REST API of instance B, as the admin. */
  const apiB = <T>(path: string) => requestJson<T>(new URL(path, urlB).toString(), { method: 'GET', pin: s().pin, timeoutMs: 5_000, token: s().apiToken });

  before(async () => {
    cluster = await startScratchPostgres({ tcp: { port: await freePort(), password: 'pg-cluster-bus-e2e' } });
    stack = await Stack.start({ initArgs: ['--database', await cluster.createDatabase()] });
    // Instance B: a copy of A's home (the same secrets and database), its own address and ports.
    const homeB = join(s().dir, 'server-b');
    await cp(s().serverHome, homeB, { recursive: true, filter: (src) => !NOT_SHARED.has(basename(src)) });
    const listen = `127.0.0.1:${await freePort()}`;
    urlB = `https://${listen}`;
    const config = JSON.parse(await readFile(join(homeB, 'server.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(homeB, 'server.json'), JSON.stringify({ ...config, listen, publicUrl: urlB, sessionPorts: sessionPortRange() }, null, 2));
    const b = s().procs.spawn('server b', ['server', 'start', '--home', homeB], join(s().dir, 'server-b.log'));
    await waitFor('instance B to answer /healthz', async () => {
      if (b.child.exitCode !== null) throw new Error(`instance B exited with ${b.child.exitCode}`);
      return (await requestJson<{ ok: boolean }>(new URL('/healthz', urlB).toString(), { method: 'GET', pin: s().pin, timeoutMs: 5_000 })).ok;
    }, { timeoutMs: 20_000 });
  });
  afterEach((t) => {
    if (!t.passed && stack) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${stack.procs.logTails()}\n`);
  });
  after(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  it('ends an event stream held on instance B when its user logs out through instance A', async () => {
    const email = 'ops@example.com';
    const pw = join(s().dir, 'ops.pw');
    await writeFile(pw, 'a fine long passphrase 9', { mode: 0o600 });
    await s().admin(['users', 'create', email, '--role', 'operator', '--group', 'root', '--password-file', pw]);
    const home = join(s().dir, 'home-ops');
    const as = (args: string[]) => runBurrow([...args, '--home', home]);
    const login = await as(['admin', 'login', '--server', s().url, '--email', email, '--password-file', pw, '--fingerprint', s().pin, '--no-totp']);
    assert.equal(login.code, 0, login.stderr);
    const { secret } = JSON.parse((await as(['admin', 'totp', 'setup', '--json'])).stdout) as { secret: string };
    assert.equal((await as(['admin', 'totp', 'confirm', await totpCode(secret)])).code, 0);
    const { token } = JSON.parse(await readFile(join(home, 'cli.json'), 'utf8')) as { token: string };
    const events = holdEvents(urlB, token, s().pin);
    try {
      await events.saw(/event: ready/);
      const out = await as(['admin', 'logout']);
      assert.equal(out.code, 0, out.stderr);
      await events.saw(/event: end\ndata: \{"reason":"logout"/, 10_000);
      await events.ended;
    } finally {
      events.close();
    }
  });

  it('shows a stream on instance A a node coming online and going offline on instance B', async () => {
    const events = holdEvents(s().url, s().apiToken, s().pin);
    try {
      await events.saw(/event: ready/);
      const node = await s().enroll('n2', await s().enrollToken({ autoApprove: true }), { services: { webui: `127.0.0.1:${s().webUi.port}` }, serverUrl: urlB });
      const agent = s().runAgent(node);
      await waitFor('n2 to be online on instance B', async () => (await apiB<NodeView>(`/v1/nodes/${node.id}`)).online, { timeoutMs: 15_000, intervalMs: 100 });
      await events.saw(new RegExp(`event: node\\.online\\ndata: \\{"id":"${node.id}"[^\\n]*"online":true`), 10_000);
      await s().procs.stop(agent);
      await events.saw(new RegExp(`event: node\\.offline\\ndata: \\{"id":"${node.id}"[^\\n]*"online":false`), 10_000);
    } finally {
      events.close();
    }
  });
});
