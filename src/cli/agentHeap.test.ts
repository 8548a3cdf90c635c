import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { keepYoungGenerationSmall, runsAgent } from './agentHeap.js';

const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

test('only burrow node run is the agent', () => {
  assert.equal(runsAgent(['node', 'bin/burrow', 'node', 'run']), true);
  assert.equal(runsAgent(['node', 'bin/burrow', 'node', 'run', '--home', '/x']), true);
  assert.equal(runsAgent(['node', 'bin/burrow', 'node', 'status']), false);
  assert.equal(runsAgent(['node', 'bin/burrow', 'server', 'start']), false);
  assert.equal(runsAgent(['node', 'bin/burrow', 'admin', 'node', 'run']), false);
  assert.equal(runsAgent(['node', 'bin/burrow']), false);
});

test('the young generation stays small under allocation churn', () => {
  keepYoungGenerationSmall();
  // Objects that survive a scavenge or two are what makes V8 grow the young generation.
  let keep: { i: number; s: string }[] = [];
  for (let i = 0; i < 3_000_000; i++) {
    keep.push({ i, s: `x${i}` });
    if (keep.length > 100_000) keep = [];
  }
  assert.ok(keep.length > 0);
  // Two 1 MiB semi-spaces; without the flag this loop grows them to 16 MiB each.
  assert.ok(newSpace() <= 2 * 1024 * 1024, `new space is ${newSpace()} bytes`);
});
