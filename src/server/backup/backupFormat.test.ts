import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { safeRelativePath, type BackupFile } from './backupFormat.js';
import { backupIsEncrypted, openBackup } from './backupReader.js';
import { sealBackup } from './backupWriter.js';
import { BurrowError } from '../../shared/errors.js';

const files: BackupFile[] = [
  { path: 'secret.key', data: Buffer.from('k'.repeat(64)) },
  { path: 'tls/cert.pem', data: Buffer.from('-----BEGIN CERTIFICATE-----\n') },
  { path: 'burrow.db', data: Buffer.from([0, 1, 2, 3, 255]) },
  { path: 'empty', data: Buffer.alloc(0) },
];
const manifest = { createdAt: '2026-01-01T00:00:00.000Z', sourceHome: '/srv/burrow', database: 'burrow.db' };
const PASS = 'correct horse battery staple';

async function rejects(fn: () => Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(fn, (err: unknown) => err instanceof BurrowError && err.code === 'VALIDATION' && message.test(err.message));
}

/** The same backup with one byte flipped at `at` (negative: from the end). */
function flipped(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  const i = at < 0 ? c.length + at : at;
  c[i] = (c[i] ?? 0) ^ 0x40;
  return c;
}

/** The same backup with its header rewritten by `edit` (length field kept right). */
function withHeader(b: Buffer, edit: (h: Record<string, unknown>) => Record<string, unknown>): Buffer {
  const len = b.readUInt32BE(8);
  const header = Buffer.from(JSON.stringify(edit(JSON.parse(b.subarray(12, 12 + len).toString('utf8')) as Record<string, unknown>)));
  const size = Buffer.alloc(4);
  size.writeUInt32BE(header.length);
  return Buffer.concat([b.subarray(0, 8), size, header, b.subarray(12 + len)]);
}

describe('backup file format', () => {
  let encrypted: Buffer;
  let plain: Buffer;
  before(async () => {
    encrypted = await sealBackup(manifest, files, PASS);
    plain = await sealBackup(manifest, files, null);
  });

  it('round-trips every file, encrypted or not', async () => {
    for (const [b, pass] of [[encrypted, PASS], [plain, null]] as const) {
      const r = await openBackup(b, 'b', pass);
      assert.deepEqual(r.files.map((f) => [f.path, f.data.toString('hex')]), files.map((f) => [f.path, f.data.toString('hex')]));
      assert.equal(r.manifest.database, 'burrow.db');
      assert.equal(r.manifest.files.length, files.length);
    }
    assert.equal(backupIsEncrypted(encrypted, 'b'), true);
    assert.equal(backupIsEncrypted(plain, 'b'), false);
  });

  it('keeps the secrets out of an encrypted file', () => {
    assert.equal(encrypted.includes(Buffer.from('k'.repeat(64))), false);
    assert.equal(encrypted.includes(Buffer.from('BEGIN CERTIFICATE')), false);
    assert.equal(plain.includes(Buffer.from('k'.repeat(64))), true);
  });

  it('tells a wrong passphrase from a damaged file', async () => {
    await rejects(() => openBackup(encrypted, 'b', 'not the passphrase'), /passphrase .* is wrong/);
    await rejects(() => openBackup(flipped(encrypted, -40), 'b', PASS), /damaged/);
    await rejects(() => openBackup(flipped(encrypted, -1), 'b', PASS), /damaged/);
    await rejects(() => openBackup(encrypted.subarray(0, encrypted.length - 5), 'b', PASS), /damaged/);
    await rejects(() => openBackup(flipped(plain, -40), 'b', null), /damaged/);
    await rejects(() => openBackup(encrypted, 'b', null), /encrypted; give its passphrase/);
  });

  it('refuses a header edited to weaken or drop the encryption', async () => {
    const scrypt = (h: Record<string, unknown>, N: number) => ({ ...h, scrypt: { ...(h.scrypt as object), N } });
    await rejects(() => openBackup(withHeader(encrypted, (h) => scrypt(h, 2 ** 14)), 'b', PASS), /wrong/);
    await rejects(() => openBackup(withHeader(encrypted, (h) => scrypt(h, 2 ** 30)), 'b', PASS), /encryption parameters are invalid/);
    await rejects(() => openBackup(withHeader(encrypted, (h) => ({ ...h, check: 'abc' })), 'b', PASS), /encryption parameters are invalid/);
    await rejects(() => openBackup(withHeader(encrypted, (h) => ({ ...h, iv: '' })), 'b', PASS), /encryption parameters are invalid/);
    // Same key, but the header is the GCM additional data: any change to it fails the tag.
    await rejects(() => openBackup(withHeader(encrypted, (h) => ({ ...h, note: 'x' })), 'b', PASS), /damaged/);
    await rejects(() => openBackup(withHeader(encrypted, (h) => ({ ...h, encryption: 'none' })), 'b', null), /damaged/);
  });

  it('refuses a header whose scrypt cost would eat the restoring machine, before deriving a key', async () => {
    const cost = (h: Record<string, unknown>, c: { N: number; r: number; p: number }) => ({ ...h, scrypt: { ...(h.scrypt as object), ...c } });
    // 512 MiB for one derivation (128 * N * r bytes); the old bounds let a header ask for 4 GiB.
    await rejects(() => openBackup(withHeader(encrypted, (h) => cost(h, { N: 2 ** 19, r: 8, p: 1 })), 'b', PASS), /encryption parameters are invalid/);
    await rejects(() => openBackup(withHeader(encrypted, (h) => cost(h, { N: 2 ** 14, r: 32, p: 16 })), 'b', PASS), /encryption parameters are invalid/);
  });

  it('refuses what is no backup, or a newer format', async () => {
    await rejects(() => openBackup(Buffer.from('hello world, not a backup'), 'x', null), /not a burrow backup/);
    const newer = Buffer.from(plain.toString('latin1').replace('"version":1', '"version":9'), 'latin1');
    await rejects(() => openBackup(newer, 'x', null), /format version 9/);
  });

  it('accepts only paths that stay inside the home', () => {
    for (const p of ['secret.key', 'tls/cert.pem', 'recordings/rec_1.cast']) assert.equal(safeRelativePath(p), true, p);
    for (const p of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a\\b', 'a\0b', 7]) assert.equal(safeRelativePath(p), false, String(p));
  });
});
