import { randomBytes, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { BurrowError } from '../../shared/errors.js';
import { sealingHead, sha256Hex, u32, type BackupFile, type BackupManifest } from './backupFormat.js';

/** One file to back up: bytes in memory, or a file on disk (read twice: hashed for the manifest, then copied). */
export type BackupSource = BackupFile | { path: string; file: string };

/** A source measured for the manifest, and how to read exactly those bytes again. */
interface Measured {
  entry: BackupManifest['files'][number];
  read: () => AsyncIterable<Buffer>;
}

/** The bytes of `file` up to `size`, in chunks. */
function fileBytes(file: string, size: number): Readable {
  return size === 0 ? Readable.from([]) : createReadStream(file, { start: 0, end: size - 1 });
}

async function hashFile(file: string, size: number): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fileBytes(file, size)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Measures a source. A file is taken at the size it has now: a recording the server still
 * appends to is backed up as far as it was written, and its second read must give the same
 * bytes, or the backup fails rather than carry a file that does not match its hash.
 */
async function measure(s: BackupSource): Promise<Measured> {
  if ('data' in s) return { entry: { path: s.path, size: s.data.length, sha256: sha256Hex(s.data) }, read: () => Readable.from([s.data]) };
  const { path, file } = s;
  const { size } = await stat(file);
  const sha256 = await hashFile(file, size);
  async function* read(): AsyncIterable<Buffer> {
    const h = createHash('sha256');
    let got = 0;
    for await (const chunk of fileBytes(file, size)) {
      h.update(chunk as Buffer);
      got += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (got !== size || h.digest('hex') !== sha256) throw new BurrowError('CONFLICT', `${path} changed while it was backed up; run the backup again.`);
  }
  return { entry: { path, size, sha256 }, read };
}

/** Writes a chunk, waiting while the destination is full. */
async function put(out: Writable, chunk: Buffer): Promise<void> {
  if (chunk.length > 0 && !out.write(chunk)) await once(out, 'drain');
}

/** Streams a backup of `sources` into `out` and resolves with the bytes written; `out` is left open. */
export async function writeBackup(out: Writable, manifest: Omit<BackupManifest, 'files'>, sources: readonly BackupSource[], passphrase: string | null): Promise<number> {
  const measured: Measured[] = [];
  for (const s of sources) measured.push(await measure(s));
  const full: BackupManifest = { ...manifest, files: measured.map((m) => m.entry) };
  const manifestBytes = Buffer.from(JSON.stringify(full));
  const { head, codec } = sealingHead(passphrase);
  let bytes = 0;
  const emit = async (chunk: Buffer) => {
    bytes += chunk.length;
    await put(out, chunk);
  };
  await emit(head);
  await emit(codec.update(Buffer.concat([u32(manifestBytes.length), manifestBytes])));
  for (const m of measured) for await (const chunk of m.read()) await emit(codec.update(chunk));
  await emit(codec.final());
  return bytes;
}

/** Writes a backup file atomically (temp file beside it, then rename), mode 0600; resolves with its size. */
export async function writeBackupFile(to: string, manifest: Omit<BackupManifest, 'files'>, sources: readonly BackupSource[], passphrase: string | null): Promise<number> {
  const tmp = join(dirname(to), `.${basename(to)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
  try {
    const bytes = await writeBackup(out, manifest, sources, passphrase);
    out.end();
    await once(out, 'close');
    await chmod(tmp, 0o600);
    await rename(tmp, to);
    return bytes;
  } catch (err) {
    out.destroy();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** A backup of in-memory files, as one buffer (secrets-only bundles and tests). */
export async function sealBackup(manifest: Omit<BackupManifest, 'files'>, files: readonly BackupFile[], passphrase: string | null): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeBackup(out, manifest, files, passphrase);
  out.end();
  return Buffer.concat(chunks);
}
