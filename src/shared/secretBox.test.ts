import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BurrowError } from './errors.js';
import { SecretBox } from './secretBox.js';

let dir = '';
let n = 0;
const keyPath = (): string => join(dir, `key${++n}`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burrow-secretbox-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Flips one bit of the sealed payload at byte `index` (after base64url decoding). */
function flip(sealed: string, index: number): string {
  const [version, data] = sealed.split(':') as [string, string];
  const raw = Buffer.from(data, 'base64url');
  raw[index] = (raw[index] as number) ^ 0x01;
  return `${version}:${raw.toString('base64url')}`;
}

function isSealFailure(err: unknown): boolean {
  return err instanceof BurrowError && err.code === 'INTERNAL';
}

describe('SecretBox', () => {
  it('opens what it sealed, with the same context', async () => {
    const box = await SecretBox.fromKeyFile(keyPath());
    for (const plain of ['JBSWY3DPEHPK3PXP', '', 'ünïcødé ✓', 'x'.repeat(10_000)]) {
      const sealed = box.seal(plain, 'usr_1');
      assert.match(sealed, /^v1:[A-Za-z0-9_-]+$/);
      assert.ok(!sealed.includes(plain) || plain === '', 'ciphertext does not carry the plain text');
      assert.equal(box.open(sealed, 'usr_1'), plain);
    }
    assert.equal(box.open(box.seal('no context')), 'no context');
  });

  it('seals the same text differently each time (random IV)', async () => {
    const box = await SecretBox.fromKeyFile(keyPath());
    const a = box.seal('same', 'c');
    const b = box.seal('same', 'c');
    assert.notEqual(a, b);
    assert.equal(box.open(a, 'c'), box.open(b, 'c'));
  });

  it('creates the key file with mode 0600 holding 32 bytes, and reuses it', async () => {
    const path = keyPath();
    const box = await SecretBox.fromKeyFile(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const key = await readFile(path, 'utf8');
    assert.equal(Buffer.from(key.trim(), 'base64').length, 32);
    const again = await SecretBox.fromKeyFile(path);
    assert.equal(await readFile(path, 'utf8'), key, 'an existing key is not replaced');
    assert.equal(again.open(box.seal('kept', 'c'), 'c'), 'kept');
  });

  it('refuses a tampered IV, tag or ciphertext', async () => {
    const box = await SecretBox.fromKeyFile(keyPath());
    const sealed = box.seal('secret value', 'usr_1');
    // IV is bytes 0-11, the tag 12-27, the ciphertext from 28.
    for (const index of [0, 11, 12, 27, 28, 28 + 11]) {
      assert.throws(() => box.open(flip(sealed, index), 'usr_1'), isSealFailure, `byte ${index}`);
    }
  });

  it('refuses a truncated or garbled sealed value', async () => {
    const box = await SecretBox.fromKeyFile(keyPath());
    const sealed = box.seal('secret value', 'usr_1');
    assert.throws(() => box.open(sealed.slice(0, -4), 'usr_1'), isSealFailure);
    assert.throws(() => box.open(sealed.replace(/^v1:/, 'v2:'), 'usr_1'), isSealFailure);
    assert.throws(() => box.open('v1:', 'usr_1'), isSealFailure);
    assert.throws(() => box.open('nonsense', 'usr_1'), isSealFailure);
  });

  it('refuses the wrong context, so a sealed secret cannot be moved to another user', async () => {
    const box = await SecretBox.fromKeyFile(keyPath());
    const sealed = box.seal('secret value', 'usr_1');
    assert.throws(() => box.open(sealed, 'usr_2'), isSealFailure);
    assert.throws(() => box.open(sealed), isSealFailure);
  });

  it('cannot be opened with another key file', async () => {
    const a = await SecretBox.fromKeyFile(keyPath());
    const b = await SecretBox.fromKeyFile(keyPath());
    const sealed = a.seal('secret value', 'usr_1');
    assert.throws(() => b.open(sealed, 'usr_1'), (err) => isSealFailure(err) && /wrong key file or tampered/.test((err as Error).message));
  });

  it('refuses a key file that does not hold a 32-byte key', async () => {
    const path = keyPath();
    await writeFile(path, Buffer.alloc(16).toString('base64'), { mode: 0o600 });
    await assert.rejects(SecretBox.fromKeyFile(path), (err) => err instanceof BurrowError && err.code === 'CONFIG_INVALID');
  });
  it('refuses truncated data with a BurrowError instead of a crypto error', async () => {
    const box = await SecretBox.fromKeyFile(keyPath());
    assert.throws(() => box.open('v1:AAAA', 'c'), (e: unknown) => e instanceof BurrowError && e.code === 'INTERNAL');
  });
});
