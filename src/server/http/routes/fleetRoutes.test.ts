import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApiWorld, call, type ApiWorld } from '../../testing/apiWorld.js';

const HEADER = 'name,group,services,mode,labels';
const file = (...lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`;

interface Report {
  dryRun: boolean;
  imported: boolean;
  total: number;
  nodes: { name: string; id?: string; token?: string }[];
  errors: { line: number; message: string }[];
  error?: { code: string; message: string };
}

describe('fleet import and export over the API', () => {
  let world: ApiWorld;
  const worlds: ApiWorld[] = [];
  beforeEach(async () => {
    world = await buildApiWorld();
    worlds.push(world);
  });
  after(async () => {
    for (const w of worlds) await w.close();
  });

  it('refuses a file with bad lines as a whole, naming each line, and audits the refusal', async () => {
    const r = await call(world, 'aAdmin', 'POST', '/v1/fleet/import', { csv: file('gw-1,/custA/siteA,,,', 'gw-2,/custB,,,', 'nodeA,/custA/siteA,,,') });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    const body = r.body as Report;
    assert.equal(body.error?.code, 'IMPORT_INVALID');
    assert.equal(body.error?.message, 'Nothing was imported: 2 of 3 lines are bad.\nline 3: unknown group /custB\nline 4: duplicate name nodeA: group /custA/siteA already has a node of that name');
    assert.deepEqual(body.errors.map((e) => e.line), [3, 4]);
    const nodes = (await call(world, 'rootAdmin', 'GET', '/v1/nodes')).body as { name: string }[];
    assert.deepEqual(nodes.map((n) => n.name).sort(), ['nodeA', 'nodeB']);
    const audit = (await call(world, 'rootAdmin', 'GET', '/v1/audit')).body as { action: string; result: string; detail: { badLines?: number[] } }[];
    assert.ok(audit.some((e) => e.action === 'node.import' && e.result === 'failed' && e.detail.badLines?.join() === '3,4'), JSON.stringify(audit.slice(-2)));
  });

  it('takes the file itself as text/csv, options in the query, and limits its size', async () => {
    const post = (body: string, query = '') =>
      fetch(`${world.url}/v1/fleet/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${world.tokens.aAdmin}`, 'content-type': 'text/csv' }, body });
    const dry = await post(file('gw-1,/custA/siteA,web=127.0.0.1:80,,'), '?dryRun=true');
    assert.equal(dry.status, 200);
    const report = (await dry.json()) as Report;
    assert.deepEqual([report.dryRun, report.imported, report.nodes.map((n) => n.name), report.nodes[0]?.token], [true, false, ['gw-1'], undefined]);
    const made = await post(file('gw-1,/custA/siteA,web=127.0.0.1:80,,'));
    assert.equal(made.status, 201);
    // Skipping bad lines still refuses a file of which no line is good, naming why.
    const header = await post('name,group,colour\ngw-9,/custA/siteA,red\n', '?skipBad=true');
    assert.equal(header.status, 422);
    assert.match(((await header.json()) as Report).error?.message ?? '', /line 1: bad header: unknown column colour; missing column services, mode, labels/);
    const big = await post(`${HEADER}\n${'x'.repeat(1024 * 1024 + 10)}`);
    assert.equal(big.status, 413);
  });

  it('exports the nodes the caller sees as CSV that imports again once the names are new', async () => {
    const imported = await call(world, 'aAdmin', 'POST', '/v1/fleet/import', { csv: file('gw-1,/custA/siteA,web=127.0.0.1:80;ssh=tcp://127.0.0.1:22,"on-demand;window=Mon-Fri 09:00-18:00;tz=Europe/Paris",site=paris') });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    const exported = await call(world, 'aViewer', 'GET', '/v1/fleet/export');
    assert.equal(exported.status, 200);
    const text = exported.body as string;
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'name,group,services,mode,labels,id,status,online,last_seen');
    const gw = lines.find((l) => l.startsWith('gw-1,'));
    assert.match(gw ?? '', /^gw-1,\/custA\/siteA,ssh=tcp:\/\/127\.0\.0\.1:22;web=127\.0\.0\.1:80,on-demand;window=Mon-Fri 09:00-18:00;tz=Europe\/Paris;interval=30m;duration=5m,site=paris,nd_[\w-]+,awaiting-enrollment,no,$/);
    assert.ok(!text.includes('nodeB'), 'another customer\'s node stays out');
    // The same file again: every name exists already.
    const again = await call(world, 'aAdmin', 'POST', '/v1/fleet/import', { csv: text });
    assert.equal(again.status, 422);
    // Renamed, it imports as new nodes (nodeA's services are names only: the server never saw their targets).
    const renamed = [lines[0], ...lines.slice(1).filter((l) => l.startsWith('gw-1,')).map((l) => l.replace(/^gw-1,/, 'gw-2,'))].join('\n');
    const second = await call(world, 'aAdmin', 'POST', '/v1/fleet/import', { csv: renamed });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.equal((await call(world, 'aAdmin', 'GET', '/v1/fleet/export?group=/custB')).status, 404);
    const sub = (await call(world, 'aAdmin', 'GET', '/v1/fleet/export?group=/custA/emptyA')).body as string;
    assert.equal(sub.trim(), 'name,group,services,mode,labels,id,status,online,last_seen');
  });
});
