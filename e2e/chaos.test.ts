import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from './chaos/runChaos.js';
import { CI_SIZE } from './chaos/sizes.js';

describe('chaos (CI size; `make chaos` runs the full size)', () => {
  it('keeps every promise under fuzzing, exhaustion, crashes and a hostile peer', { timeout: 240_000 }, async (t) => {
    const figures = await runChaos(CI_SIZE, [], (line) => t.diagnostic(line));
    for (const line of figures.table().split('\n')) t.diagnostic(line);
    assert.deepEqual(figures.failures, []);
    // Every scenario ran and tried something.
    assert.ok(figures.all().every((r) => r.cases > 0), 'a target tried no case');
  });
});
