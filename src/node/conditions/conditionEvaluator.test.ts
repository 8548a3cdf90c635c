import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../shared/clock.js';
import { conditionRuleSchema, type ConditionRuleInput } from '../../shared/conditions.js';
import { firstNumber } from './commandProbe.js';
import { conditionEvaluator } from './conditionEvaluator.js';

const dirs: string[] = [];
after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'burrow-cond-'));
  dirs.push(d);
  return d;
}

const rule = (r: ConditionRuleInput) => conditionRuleSchema.parse(r);
const noStatus = async () => 0;

describe('log rules', () => {
  it('count matches within the window, starting at the end of the file', async () => {
    const dir = await tempDir();
    const log = join(dir, 'app.log');
    await writeFile(log, 'ERROR before the agent started\n');
    const clock = new FakeClock(1_000_000);
    const e = conditionEvaluator(rule({ kind: 'log', name: 'errors', path: log, pattern: 'ERROR', count: 3, windowMs: 60_000 }), { clock, statusValue: noStatus });
    assert.equal((await e.evaluate()).value, 0, 'lines written before the start are not counted');
    await appendFile(log, 'ERROR one\ninfo\nERROR two\n');
    assert.deepEqual(await e.evaluate(), { state: 'ok', value: 2, detail: '2 matching line(s) in the last 60 s (fires at 3)' });
    clock.advance(30_000);
    await appendFile(log, 'ERROR three\n');
    assert.equal((await e.evaluate()).state, 'firing');
    clock.advance(30_000);
    const f = await e.evaluate();
    assert.equal(f.value, 1, 'the first two left the window');
    assert.equal(f.state, 'ok');
    await e.close();
  });

  it('follows the file across a rotation and a truncation, counting a line split across reads once', async () => {
    const dir = await tempDir();
    const log = join(dir, 'app.log');
    await writeFile(log, '');
    const clock = new FakeClock();
    const e = conditionEvaluator(rule({ kind: 'log', name: 'errors', path: log, pattern: '^ERROR', count: 100, windowMs: 600_000 }), { clock, statusValue: noStatus });
    await e.evaluate();
    await appendFile(log, 'ERROR a\nERR');
    assert.equal((await e.evaluate()).value, 1);
    await appendFile(log, 'OR b\n');
    assert.equal((await e.evaluate()).value, 2, 'a line written in two parts counts once, whole');
    // logrotate: the old file gains a last line, is renamed, and a new file starts.
    await appendFile(log, 'ERROR c\n');
    await rename(log, `${log}.1`);
    await writeFile(log, 'ERROR d\nERROR e\n');
    assert.equal((await e.evaluate()).value, 5, 'the old file is finished, the new one read from its start');
    // copytruncate: the same file emptied in place, then written again.
    await truncate(log, 0);
    await appendFile(log, 'ERROR f\n');
    assert.equal((await e.evaluate()).value, 6);
    await e.close();
  });

  it('reports an error while the file is missing', async () => {
    const dir = await tempDir();
    const e = conditionEvaluator(rule({ kind: 'log', name: 'gone', path: join(dir, 'none.log'), pattern: 'x' }), { clock: new FakeClock(), statusValue: noStatus });
    const f = await e.evaluate();
    assert.equal(f.state, 'error');
    assert.match(f.detail, /does not exist/);
  });
});

describe('command rules', () => {
  it('fire on a non-zero exit code, without a shell', async () => {
    const clock = new FakeClock();
    const ok = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: ['/bin/sh', '-c', 'exit 0'] }), { clock, statusValue: noStatus });
    assert.deepEqual(await ok.evaluate(), { state: 'ok', value: 0, detail: 'exit code 0' });
    const bad = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: ['/bin/echo', '$(exit 3)', ';', 'false'] }), { clock, statusValue: noStatus });
    assert.equal((await bad.evaluate()).state, 'ok', 'arguments are not interpreted by a shell');
    const failing = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: ['/bin/sh', '-c', 'exit 3'] }), { clock, statusValue: noStatus });
    assert.deepEqual(await failing.evaluate(), { state: 'firing', value: 3, detail: 'exit code 3' });
  });

  it('compare the first number printed with the threshold', async () => {
    const clock = new FakeClock();
    const e = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: ['/bin/echo', 'temp=71.5C'], op: '>', threshold: 70 }), { clock, statusValue: noStatus });
    assert.deepEqual(await e.evaluate(), { state: 'firing', value: 71.5, detail: 'printed 71.5 (fires when > 70)' });
    const none = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: ['/bin/echo', 'no figures'], op: '>', threshold: 70 }), { clock, statusValue: noStatus });
    assert.equal((await none.evaluate()).state, 'error');
    assert.equal(firstNumber('load: -1.5e2 x'), -150);
    assert.equal(firstNumber('nothing'), undefined);
  });

  it('kill a command that outlives its timeout on the clock', async () => {
    const dir = await tempDir();
    const script = join(dir, 'hang.sh');
    await writeFile(script, '#!/bin/sh\nexec sleep 600\n');
    await chmod(script, 0o755);
    const clock = new FakeClock();
    const e = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: [script], timeoutMs: 5_000 }), { clock, statusValue: noStatus });
    const pending = e.evaluate();
    clock.advance(5_000);
    assert.deepEqual(await pending, { state: 'error', value: null, detail: 'timed out after 5000 ms' });
  });

  it('keep a bounded part of a flood of output', async () => {
    const clock = new FakeClock();
    const e = conditionEvaluator(rule({ kind: 'command', name: 'c', argv: ['/bin/sh', '-c', 'echo 42; head -c 5000000 /dev/zero'], op: '>=', threshold: 42 }), { clock, statusValue: noStatus });
    assert.equal((await e.evaluate()).value, 42);
  });
});

describe('value rules', () => {
  it('read a scaled number from a file and compare it', async () => {
    const dir = await tempDir();
    const temp = join(dir, 'temp');
    await writeFile(temp, '68500\n');
    const clock = new FakeClock();
    const e = conditionEvaluator(rule({ kind: 'value', name: 't', source: { file: temp, scale: 0.001 }, op: '>=', threshold: 70 }), { clock, statusValue: noStatus });
    assert.deepEqual(await e.evaluate(), { state: 'ok', value: 68.5, detail: `${temp} is 68.5 (fires when >= 70)` });
    await writeFile(temp, '70000\n');
    assert.equal((await e.evaluate()).state, 'firing', 'the threshold itself counts with >=');
  });

  it('read the status figures', async () => {
    const e = conditionEvaluator(rule({ kind: 'value', name: 'd', source: { status: 'disk' }, op: '>', threshold: 90 }), { clock: new FakeClock(), statusValue: async (w) => (w === 'disk' ? 95 : 0) });
    assert.deepEqual(await e.evaluate(), { state: 'firing', value: 95, detail: 'disk use % is 95 (fires when > 90)' });
  });
});
