import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { conditionRuleSchema, type ConditionState } from '../../shared/conditions.js';
import { nodeConfigSchema } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { statusReplySchema } from '../../shared/protocol.js';
import { exists } from '../../shared/secureFiles.js';
import { admitAdminRules, nestedQuantifier } from './adminConditionPolicy.js';
import { NodeConditions } from './nodeConditions.js';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function setup(extra: Record<string, unknown> = {}) {
  const home = await mkdtemp(join(tmpdir(), 'burrow-nodecond-'));
  dirs.push(home);
  await mkdir(join(home, 'logs'));
  await writeFile(join(home, 'logs', 'app.log'), '');
  const config = nodeConfigSchema.parse({ serverUrl: 'https://s.example', nodeId: 'n1', name: 'n1', tlsPin: 'sha256/x', sshHostKey: 'k', files: { allow: [join(home, 'logs')] }, ...extra });
  const clock = new FakeClock(1_000_000);
  const changes: { states: ConditionState[]; firing: string[] }[] = [];
  const c = new NodeConditions({ home, clock, log, onChange: (states, nowFiring) => changes.push({ states, firing: nowFiring.map((w) => w.rule.name) }) });
  return { home, config, clock, changes, c };
}

/** The rules a (hostile) server sends, through the same schema the agent parses replies with. */
const fromServer = (rules: unknown[]) => statusReplySchema.parse({ holdsWork: false, proposedMode: null, conditionRules: rules }).conditionRules ?? [];

describe('NodeConditions', () => {
  it('reports a state change at once, with the rule that began firing', async () => {
    const { home, config, clock, changes, c } = await setup();
    const path = join(home, 'logs', 'app.log');
    await c.start({ ...config, conditions: [conditionRuleSchema.parse({ kind: 'log', name: 'oops', path, pattern: 'OOPS', count: 2, everyMs: 1_000 })] });
    clock.advance(0);
    await c.settled();
    assert.equal(c.states()[0]?.state, 'ok');
    const seen = changes.length;
    await appendFile(path, 'OOPS\nOOPS\n');
    clock.advance(1_000);
    await c.settled();
    const last = changes.at(-1);
    assert.equal(changes.length, seen + 1, 'one change, told when it happened');
    assert.deepEqual(last?.firing, ['oops']);
    assert.deepEqual({ ...last?.states[0], since: undefined }, { name: 'oops', origin: 'operator', kind: 'log', state: 'firing', value: 2, since: undefined, detail: '2 matching line(s) in the last 300 s (fires at 2)' });
    assert.equal(last?.states[0]?.since, new Date(1_001_000).toISOString());
    clock.advance(1_000);
    await c.settled();
    assert.equal(changes.length, seen + 1, 'no news, no message');
    c.close();
  });

  it("refuses, on the node, an administrator's command rule and files outside the allowed directories", async () => {
    const { home, config, clock, c } = await setup();
    const marker = join(home, 'pwned');
    await symlink('/etc/passwd', join(home, 'logs', 'link'));
    await c.start(config);
    await c.receiveAdminRules(
      fromServer([
        { kind: 'command', name: 'rce', argv: ['/usr/bin/touch', marker], everyMs: 1_000 },
        { kind: 'log', name: 'shadow', path: '/etc/passwd', pattern: 'root' },
        { kind: 'log', name: 'via-link', path: join(home, 'logs', 'link'), pattern: 'root' },
        { kind: 'value', name: 'secret', source: { file: '/etc/hostname' }, op: '>', threshold: 0 },
        { kind: 'log', name: 'redos', path: join(home, 'logs', 'app.log'), pattern: '(a+)+$' },
        { kind: 'nonsense', name: 'junk' },
        { kind: 'log', name: 'fine', path: join(home, 'logs', 'app.log'), pattern: 'ERROR' },
        { kind: 'value', name: 'disk', source: { status: 'disk' }, op: '>', threshold: 101 },
        { kind: 'log', name: 'later', path: join(home, 'logs', 'not-yet.log'), pattern: 'ERROR' },
      ]),
    );
    clock.advance(5_000);
    await c.settled();
    assert.equal(await exists(marker), false, 'the command never ran');
    const byName = Object.fromEntries(c.states().map((s) => [s.name, s]));
    for (const name of ['rce', 'shadow', 'via-link', 'secret', 'redos', 'junk']) assert.equal(byName[name]?.state, 'refused', name);
    assert.match(byName.rce?.detail ?? '', /only by the node operator/);
    assert.match(byName.shadow?.detail ?? '', /not in a directory this node allows/);
    assert.equal(byName.fine?.state, 'ok');
    assert.equal(byName.disk?.state, 'ok');
    assert.equal(byName.later?.state, 'error', 'a log not created yet is accepted, and reported missing until it exists');
    assert.equal(byName.fine?.origin, 'admin');
    // Kept in the home, so the rules are watched while the node is away.
    assert.equal((JSON.parse(await readFile(join(home, 'admin-conditions.json'), 'utf8')) as unknown[]).length, 9);
    c.close();
  });

  it('lets an operator revoking a directory end the rules an administrator set there', async () => {
    const { home, config, clock, c } = await setup();
    await c.start(config);
    await c.receiveAdminRules(fromServer([{ kind: 'log', name: 'fine', path: join(home, 'logs', 'app.log'), pattern: 'ERROR' }]));
    clock.advance(0);
    await c.settled();
    assert.equal(c.states()[0]?.state, 'ok');
    await c.apply({ ...config, files: { ...config.files, allow: [] } });
    assert.equal(c.states()[0]?.state, 'refused');
    c.close();
  });

  it('spots nested quantifiers', () => {
    assert.equal(nestedQuantifier('(a+)+'), true);
    assert.equal(nestedQuantifier('(x*)*y'), true);
    assert.equal(nestedQuantifier('(ab|c{2,})+'), true);
    assert.equal(nestedQuantifier('ERROR (disk|fan) [0-9]+'), false);
  });

  it("runs an administrator's pattern on the linear-time engine, and refuses one that engine cannot run", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-linear-'));
    dirs.push(dir);
    const files = { allow: [dir], maxBytes: 1024, bundleLogs: [] };
    const rule = (name: string, pattern: string) => conditionRuleSchema.parse({ name, kind: 'log', path: join(dir, 'app.log'), pattern });
    // ".*.*x" nests nothing, yet takes half a minute on one 4 KiB line in the backtracking engine.
    const { admitted, refused } = await admitAdminRules([rule('poly', '.*.*x'), rule('backref', '(a+)\\1x'), rule('ahead', 'a(?=b)')], files, []);
    assert.deepEqual(admitted.map((w) => w.rule.name), ['poly']);
    assert.match(admitted[0]?.files?.compilePattern?.('.*.*x').flags ?? '', /l/);
    assert.deepEqual(refused.map((r) => r.name), ['backref', 'ahead']);
    assert.match(refused[0]?.reason ?? '', /linear time/);
  });

  it('sees the exponential patterns that hide their nesting behind another group or an alternation', () => {
    // Each takes seconds to minutes on a 4 KiB line of "a"s in a backtracking engine.
    assert.equal(nestedQuantifier('((a+))+$'), true);
    assert.equal(nestedQuantifier('(?:(\\w+)\\s?)+$'), true);
    assert.equal(nestedQuantifier('(a|a)*$'), true);
    assert.equal(nestedQuantifier('((a|aa))*$'), true);
    // Escaped parentheses and brackets are no groups.
    assert.equal(nestedQuantifier('\\(x+\\)+'), false);
    assert.equal(nestedQuantifier('[(]x+[)]+'), false);
    assert.equal(nestedQuantifier('(disk|fan) failed( [0-9]+)?'), false);
  });
});
