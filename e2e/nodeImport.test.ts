import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { NodeView } from '../src/shared/protocol.js';
import { burrowOk, runBurrow } from './harness/burrowCli.js';
import type { NodeHandle } from './harness/stack.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

// Issue 22: bulk registration. A file with bad lines is refused, naming them; a good file
// gives nodes whose agents enroll with their own tokens and come online, approved.
describe('node import from a CSV file', () => {
  const stack = stackSuite();

  it('refuses a file with bad lines, naming each, and creates nothing', async () => {
    const s = stack();
    await s.admin(['groups', 'create', 'site-a']);
    const path = join(s.dir, 'bad.csv');
    await writeFile(path, ['name,group,services,mode,labels', 'gw-ok,/site-a,web=127.0.0.1:80,,', 'gw-x,/nowhere,,,', 'gw-y,/site-a,web=localhost,,', 'gw-ok,/site-a,,,'].join('\n'));
    const r = await runBurrow(['admin', 'nodes', 'import', path, '--home', s.adminHome]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Nothing was imported: 3 of 4 lines are bad/);
    assert.match(r.stderr, /line 3: unknown group \/nowhere/);
    assert.match(r.stderr, /line 4: bad service "web=localhost"/);
    assert.match(r.stderr, /line 5: duplicate name gw-ok: already on line 2/);
    const dry = await runBurrow(['admin', 'nodes', 'import', path, '--dry-run', '--home', s.adminHome]);
    assert.equal(dry.code, 2);
    assert.match(dry.stderr, /line 3: unknown group/);
    const names = (await s.api<NodeView[]>('GET', '/v1/nodes')).map((n) => n.name);
    assert.deepEqual(names, ['n1']);
  });

  it('creates nodes whose agents enroll with their own tokens and come online, approved, with their services', async () => {
    const s = stack();
    const web = `web=127.0.0.1:${s.webUi.port}`;
    const path = join(s.dir, 'good.csv');
    await writeFile(path, ['name,group,services,mode,labels', `gw-1,/site-a,${web},always-on,site=paris`, `gw-2,/,${web};ssh=tcp://127.0.0.1:22,,tier=test`].join('\n'));
    const tokensPath = join(s.dir, 'tokens.csv');
    const out = await burrowOk(['admin', 'nodes', 'import', path, '--out', tokensPath, '--home', s.adminHome]);
    assert.match(out, /Created 2 nodes/);
    assert.equal((await stat(tokensPath)).mode & 0o777, 0o600);
    const rows = parse(await readFile(tokensPath, 'utf8'), { columns: true }) as { name: string; token: string; enroll_command: string }[];
    assert.deepEqual(rows.map((r) => r.name), ['gw-1', 'gw-2']);
    const waiting = await s.api<NodeView[]>('GET', '/v1/nodes');
    assert.deepEqual(waiting.filter((n) => n.awaitingEnrollment).map((n) => [n.name, n.status, n.online]), [['gw-1', 'pending', false], ['gw-2', 'pending', false]]);

    // Each bound token is listed with the node it enrolls, so an administrator can tell them apart.
    const listed = JSON.parse(await burrowOk(['admin', 'enroll-token', 'list', '--json', '--home', s.adminHome])) as { node: string | null; state: string }[];
    assert.deepEqual(listed.map((t) => t.node).filter((n) => n !== null).sort(), ['gw-1', 'gw-2']);
    const table = await burrowOk(['admin', 'enroll-token', 'list', '--home', s.adminHome]);
    assert.match(table, /^ID +GROUP +NODE /);
    assert.match(table, /gw-1/);

    // The token of gw-1 does not make an agent gw-2.
    const [one, two] = rows;
    const wrong = await runBurrow(['node', 'enroll', s.url, '--token', one?.token ?? '', '--name', 'gw-2', '--home', join(s.dir, 'node-wrong')]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /belongs to node gw-1/);

    const handles: NodeHandle[] = [];
    for (const row of [one, two]) {
      // The installer runs the command as written in the file (without "burrow").
      const args = (row?.enroll_command ?? '').split(' ').slice(1);
      const home = join(s.dir, `node-${row?.name ?? ''}`);
      const enrolled = JSON.parse(await burrowOk([...args, '--home', home, '--json'])) as { nodeId: string; status: 'approved' | 'pending'; services: Record<string, string> };
      assert.equal(enrolled.status, 'approved');
      handles.push({ name: row?.name ?? '', home, id: enrolled.nodeId, status: enrolled.status });
    }
    for (const h of handles) s.runAgent(h);
    // Online first, then its services announced one by one over the tunnel.
    const announced = (h: NodeHandle | undefined, services: string[]) =>
      waitFor(`node ${h?.name ?? ''} online with ${services.join(', ')}`, async () => {
        const v = await s.api<NodeView>('GET', `/v1/nodes/${h?.id ?? ''}`);
        return v.online && services.every((x) => v.services.includes(x)) ? v : undefined;
      });
    const [v1, v2] = [await announced(handles[0], ['web']), await announced(handles[1], ['ssh', 'web'])];
    // Besides its own built-in shell and jobs, each exposes exactly its line's services.
    const own = (v: NodeView) => v.services.filter((x) => x !== 'shell' && x !== 'jobs');
    assert.deepEqual([v1.name, v1.status, own(v1), v1.labels, v1.awaitingEnrollment], ['gw-1', 'approved', ['web'], { site: 'paris' }, undefined]);
    assert.deepEqual([v2.name, v2.status, own(v2), v2.labels], ['gw-2', 'approved', ['ssh', 'web'], { tier: 'test' }]);
    // A token is spent once its node enrolled.
    const again = await runBurrow(['node', 'enroll', s.url, '--token', one?.token ?? '', '--name', 'gw-1', '--home', join(s.dir, 'node-again')]);
    assert.notEqual(again.code, 0);

    // Services named on the node itself win over its line's: what it exposes stays the operator's call.
    await writeFile(join(s.dir, 'third.csv'), `name,group,services,mode,labels\ngw-3,/site-a,${web},,\n`);
    const third = JSON.parse(await burrowOk(['admin', 'nodes', 'import', join(s.dir, 'third.csv'), '--json', '--home', s.adminHome])) as { nodes: { token: string }[] };
    const mine = JSON.parse(await burrowOk(['node', 'enroll', s.url, '--token', third.nodes[0]?.token ?? '', '--name', 'gw-3', '--service', 'console=tcp://127.0.0.1:2323', '--home', join(s.dir, 'node-gw-3'), '--json'])) as { services: Record<string, string> };
    assert.deepEqual(mine.services, { console: 'tcp://127.0.0.1:2323' });

    // The export lists them online, in the columns the import reads.
    const exported = parse(await burrowOk(['admin', 'nodes', 'export', '--group', '/site-a', '--home', s.adminHome]), { columns: true }) as Record<string, string>[];
    assert.deepEqual(exported.filter((r) => r.name !== 'gw-3').map((r) => [r.name, r.group, r.services, r.status, r.online]), [['gw-1', '/site-a', web, 'approved', 'yes']]);
  });
});
