import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../shared/clock.js';
import { KeyRotation } from './keyRotation.js';

describe('KeyRotation', () => {
  let home = '';
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'burrow-keys-'));
    await writeFile(join(home, 'id_ed25519'), 'OLD', { mode: 0o600 });
    await utimes(join(home, 'id_ed25519'), new Date(1_000_000), new Date(1_000_000));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('is due only once the key is older than the period', async () => {
    const clock = new FakeClock(1_000_000 + 59_000);
    const r = new KeyRotation(home, 60_000, clock, () => undefined);
    assert.equal(await r.due(), false);
    clock.advance(1_000);
    assert.equal(await r.due(), true);
  });

  it('keeps the old key until the server registered the new one, then swaps it in', async () => {
    let rotated = '';
    const r = new KeyRotation(home, 60_000, new FakeClock(10_000_000), (k) => (rotated = k));
    const pub = await r.prepare();
    assert.match(pub, /^ssh-ed25519 /);
    assert.equal(await r.due(), false, 'not due again while one is under way');
    assert.equal(await readFile(join(home, 'id_ed25519'), 'utf8'), 'OLD');
    assert.equal((await stat(join(home, 'id_ed25519.next'))).mode & 0o777, 0o600);
    assert.equal(await r.commit('ssh-ed25519 AAAAsomeoneelse'), false);
    assert.equal(await readFile(join(home, 'id_ed25519'), 'utf8'), 'OLD');
    assert.equal(await r.commit(pub), true);
    const now = await readFile(join(home, 'id_ed25519'), 'utf8');
    assert.match(now, /OPENSSH PRIVATE KEY/);
    assert.equal(rotated, now);
    assert.equal((await readFile(join(home, 'id_ed25519.pub'), 'utf8')).trim(), pub);
  });

  it('forgets an unconfirmed rotation when abandoned', async () => {
    const r = new KeyRotation(home, 1, new FakeClock(Date.now() + 10_000), () => undefined);
    const pub = await r.prepare();
    r.abandon();
    assert.equal(await r.commit(pub), false);
    assert.equal(await r.due(), true);
  });
});
