import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { BurrowError } from '../../shared/errors.js';
import { damagedBackup, MAX_HEAD_BYTES, MAX_MANIFEST_BYTES, openingCodec, parseManifest, readBackupHeader, type BackupContents, type BackupFile, type BackupManifest } from './backupFormat.js';

/** Where an opened backup's files go, one after another, as they are decrypted. */
export interface BackupSink {
  /** Sees the manifest before any file; throwing stops the restore. */
  manifest?(m: BackupManifest): void | Promise<void>;
  /** A writable for one file of `size` bytes; ended when its bytes are all there. */
  file(path: string, size: number): Writable | Promise<Writable>;
}

/**
 * Splits a decrypted payload into its manifest and files as the bytes arrive, checking each
 * file's hash at its end. Everything it writes is unauthenticated until the codec's `final`
 * has passed: the caller writes into a private staging place and keeps it only then.
 */
class PayloadSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private manifestLength: number | undefined;
  private m: BackupManifest | undefined;
  private index = 0;
  private current: { out: Writable; left: number; hash: ReturnType<typeof createHash> } | undefined;

  constructor(
    private readonly sink: BackupSink,
    private readonly name: string,
  ) {}

  get manifest(): BackupManifest | undefined {
    return this.m;
  }

  async push(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      if (!this.m) {
        rest = await this.readManifest(rest);
        continue;
      }
      if (!this.current) await this.nextFile();
      const cur = this.current;
      if (!cur) throw damagedBackup(this.name);
      const take = rest.subarray(0, cur.left);
      rest = rest.subarray(take.length);
      cur.left -= take.length;
      cur.hash.update(take);
      if (!cur.out.write(take)) await once(cur.out, 'drain');
      if (cur.left === 0) await this.endFile();
    }
  }

  /** Everything arrived: every file complete and nothing after the last. */
  async finish(): Promise<void> {
    if (!this.m) throw damagedBackup(this.name);
    // Empty files at the end have no bytes to start them.
    while (this.index < this.m.files.length) await this.nextFile();
    if (this.current) throw damagedBackup(this.name);
  }

  private async readManifest(chunk: Buffer): Promise<Buffer> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const all = Buffer.concat(this.pending);
    if (this.manifestLength === undefined) {
      if (all.length < 4) return Buffer.alloc(0);
      this.manifestLength = all.readUInt32BE(0);
      if (this.manifestLength > MAX_MANIFEST_BYTES) throw damagedBackup(this.name);
    }
    if (all.length < 4 + this.manifestLength) {
      this.pending = [all];
      return Buffer.alloc(0);
    }
    this.m = parseManifest(all.subarray(4, 4 + this.manifestLength), this.name);
    this.pending = [];
    await this.sink.manifest?.(this.m);
    return all.subarray(4 + this.manifestLength);
  }

  /** Opens the next file, and closes at once any that is empty. */
  private async nextFile(): Promise<void> {
    const entry = this.m?.files[this.index];
    if (!entry) throw damagedBackup(this.name);
    this.index += 1;
    this.current = { out: await this.sink.file(entry.path, entry.size), left: entry.size, hash: createHash('sha256') };
    if (entry.size === 0) await this.endFile();
  }

  private async endFile(): Promise<void> {
    const cur = this.current;
    const entry = this.m?.files[this.index - 1];
    if (!cur || !entry) throw damagedBackup(this.name);
    this.current = undefined;
    cur.out.end();
    await once(cur.out, 'finish');
    if (cur.hash.digest('hex') !== entry.sha256) throw damagedBackup(this.name);
  }
}

/** A backup's bytes, wherever they are: its size, its first bytes, and any range of the rest. */
interface BackupBytes {
  name: string;
  size: number;
  /** The first MAX_HEAD_BYTES bytes (all of them in a smaller file). */
  prefix: Buffer;
  range(start: number, end: number): Promise<Buffer>;
  stream(start: number, end: number): AsyncIterable<Buffer>;
}

/** Opens a backup, verified end to end, into `sink`; `passphrase` is asked only when it is encrypted. */
async function readBackup(b: BackupBytes, passphrase: () => Promise<string | null>, sink: BackupSink): Promise<BackupManifest> {
  const { name, size } = b;
  const { header, headEnd, trailerBytes } = readBackupHeader(b.prefix, name);
  if (size < headEnd + trailerBytes) throw damagedBackup(name);
  const trailer = await b.range(size - trailerBytes, size);
  const pass = header.encryption === 'none' ? null : await passphrase();
  const codec = openingCodec(header, b.prefix.subarray(0, headEnd), trailer, pass, name);
  const split = new PayloadSplitter(sink, name);
  for await (const chunk of b.stream(headEnd, size - trailerBytes)) await split.push(codec.update(chunk));
  await split.push(codec.final());
  await split.finish();
  if (!split.manifest) throw damagedBackup(name);
  return split.manifest;
}

/** Opens the backup file `path` into `sink`, streaming; `passphrase` is asked only when it is encrypted. */
export async function readBackupFile(path: string, passphrase: () => Promise<string>, sink: BackupSink): Promise<BackupManifest> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new BurrowError('VALIDATION', `Cannot read the backup ${path}: ${err.code ?? err.message}.`);
  });
  try {
    const { size } = await fh.stat();
    const range = async (start: number, end: number) => {
      const b = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(b, 0, b.length, start);
      return b.subarray(0, bytesRead);
    };
    const stream = (start: number, end: number) => (end > start ? createReadStream(path, { start, end: end - 1 }) : Readable.from([]));
    return await readBackup({ name: path, size, prefix: await range(0, Math.min(size, MAX_HEAD_BYTES)), range, stream }, passphrase, sink);
  } finally {
    await fh.close();
  }
}

/** Whether a backup (its first bytes) is encrypted, so a caller knows to ask for a passphrase. */
export function backupIsEncrypted(prefix: Buffer, name: string): boolean {
  return readBackupHeader(prefix, name).header.encryption !== 'none';
}

/** Opens a backup held in memory, with its files in memory (secrets-only bundles, tests). */
export async function openBackup(file: Buffer, name: string, passphrase: string | null): Promise<BackupContents> {
  const files: BackupFile[] = [];
  const sink: BackupSink = {
    file: (path) => {
      const chunks: Buffer[] = [];
      const entry: BackupFile = { path, data: Buffer.alloc(0) };
      files.push(entry);
      return new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(c);
          cb();
        },
        final(cb) {
          entry.data = Buffer.concat(chunks);
          cb();
        },
      });
    },
  };
  const bytes: BackupBytes = {
    name,
    size: file.length,
    prefix: file.subarray(0, MAX_HEAD_BYTES),
    range: async (start, end) => file.subarray(start, end),
    stream: (start, end) => Readable.from(end > start ? [file.subarray(start, end)] : []),
  };
  const manifest = await readBackup(bytes, async () => passphrase, sink);
  return { manifest, files };
}
