import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Stack } from '../harness/stack.js';
import { openLiveSession, type ChaosContext } from './chaosContext.js';
import { checkStore, healthy, request, serverPort, timeUntil } from './probes.js';

/** Rows of a read-only query through the real sqlite3 shell, one string per row. */
function query(stack: Stack, sql: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('sqlite3', ['-readonly', join(stack.serverHome, 'burrow.db'), sql], { timeout: 30_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').filter(Boolean))));
  });
}

/** One write of the burst: what it creates, where it shows up, and its audit action. */
interface Write {
  kind: 'enroll-token' | 'api-token';
  path: string;
  body: unknown;
}

const WRITES: Write[] = [
  { kind: 'enroll-token', path: '/v1/enroll-tokens', body: { uses: 1, ttl: '1h' } },
  { kind: 'api-token', path: '/v1/tokens', body: { name: 'crash', scope: 'read', ttl: '1h' } },
];

/**
 * SIGKILL of the server in the middle of a burst of concurrent writes (tokens, their audit
 * entries, a session open): after restart every write the client saw succeed is there, and
 * every row has its audit entry and vice versa (nothing half-written); integrity_check and
 * audit verify pass. Then the server recovers, the node comes back and a new session works.
 */
export async function crashWrites(ctx: ChaosContext): Promise<void> {
  const { stack, size, figures } = ctx;
  const row = figures.row('SIGKILL during writes');
  const port = serverPort(stack);
  const seen = { 'enroll-token': new Set<string>(), 'api-token': new Set<string>() };
  let launched = 0;
  let killed = false;
  const one = async (i: number) => {
    const w = WRITES[i % WRITES.length] as Write;
    if (i % 7 === 3) {
      // Sessions too: an open is a port, a row and an audit entry at once.
      await request({ port, method: 'POST', path: '/v1/sessions', headers: { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ node: 'n1' }) });
      return;
    }
    const r = await request({ port, method: 'POST', path: w.path, headers: { authorization: `Bearer ${stack.apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify(w.body) });
    if (r.status === 201) seen[w.kind].add((JSON.parse(r.text) as { id: string }).id);
  };
  // Eight writers; the kill lands once a third of the burst has been acknowledged, while the
  // writers keep going, so some writes are in flight at the kill.
  const acknowledged = () => seen['enroll-token'].size + seen['api-token'].size;
  const writer = async () => {
    while (launched < size.crashBurst) {
      const i = launched++;
      await one(i);
      if (!killed && acknowledged() >= size.crashBurst / 3) {
        killed = true;
        void stack.killServer();
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  await stack.killServer();
  row.cases += launched;
  const started = performance.now();
  await stack.startServer();
  const up = await timeUntil(() => healthy(stack), 30_000);
  row.recoveryMs = up === null ? null : performance.now() - started;

  const tokens = new Set(await query(stack, 'SELECT id FROM enroll_tokens'));
  const apiTokens = new Set(await query(stack, 'SELECT id FROM api_tokens'));
  const audited = new Set(await query(stack, "SELECT target FROM audit_log WHERE action IN ('enroll-token.create','token.create')"));
  for (const id of seen['enroll-token']) if (!tokens.has(id)) row.lost += 1;
  for (const id of seen['api-token']) if (!apiTokens.has(id)) row.lost += 1;
  // Half-written: a row without its audit entry, or an audit entry without its row.
  const created = await query(stack, "SELECT id FROM enroll_tokens UNION SELECT id FROM api_tokens WHERE name = 'crash'");
  for (const id of created) if (!audited.has(id)) row.lost += 1;
  for (const id of audited) if (!tokens.has(id) && !apiTokens.has(id)) row.lost += 1;
  figures.check('SIGKILL during writes', row.lost === 0, `${row.lost} acknowledged or half-written records after the crash`);
  figures.check('SIGKILL during writes', seen['enroll-token'].size + seen['api-token'].size > 0, 'no write succeeded before the kill: the burst proved nothing');
  await checkStore(stack, (m) => figures.fail('SIGKILL during writes', m));
  await stack.waitOnline(stack.node.id, true, 30_000);
  Object.assign(ctx.session, await openLiveSession(stack));
}
