import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsedManifests } from './usedManifests.js';

describe('UsedManifests', () => {
  it('claims a nonce once, across instances (agent restarts), until its manifest expires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-used-'));
    try {
      const file = join(dir, 'used-manifests.json');
      const a = new UsedManifests(file);
      const [first, second] = await Promise.all([a.claim('n1', 2000, 1000), a.claim('n1', 2000, 1000)]);
      assert.deepEqual([first, second], [true, false], 'two copies delivered together: one wins');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const b = new UsedManifests(file);
      assert.equal(await b.claim('n1', 2000, 1500), false, 'still refused after a restart');
      assert.equal(await b.claim('n2', 5000, 1500), true);
      // Once n1's manifest has expired it is forgotten; the expiry check refuses it from then on.
      assert.equal(await b.claim('n1', 2000, 2001), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
