import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOrCreateInstanceId } from './instanceId.js';

describe('readOrCreateInstanceId', () => {
  it('makes an id once, private, and gives the same one after', async () => {
    const home = await mkdtemp(join(tmpdir(), 'burrow-instance-'));
    try {
      const first = await readOrCreateInstanceId(home);
      assert.match(first, /^i-[0-9a-f]{12}$/);
      assert.equal(await readOrCreateInstanceId(home), first);
      assert.equal((await stat(join(home, 'instance-id'))).mode & 0o777, 0o600);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses a file that holds something else rather than replacing it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'burrow-instance-'));
    try {
      await writeFile(join(home, 'instance-id'), 'not an id\n');
      await assert.rejects(readOrCreateInstanceId(home), /does not hold an instance id/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
