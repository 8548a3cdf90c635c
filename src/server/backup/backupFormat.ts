import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { BurrowError } from '../../shared/errors.js';

/**
 * A backup file:
 *
 *   "BURROWBK" | u32 header length | header (JSON) | payload | trailer
 *
 * The header names the format version and how the payload is protected. Encrypted, the
 * payload is AES-256-GCM under a key derived with scrypt from a passphrase, the header is
 * the GCM additional data (so nobody can weaken its parameters unseen) and the trailer is
 * the 16-byte tag. Unencrypted, the trailer is the SHA-256 of header and payload, which
 * catches damage (not tampering). The plain payload is u32 manifest length | manifest
 * (JSON) | the files' bytes in manifest order. Both ends stream it (backupWriter.ts,
 * backupReader.ts): a backup is never held in memory whole.
 */
const MAGIC = Buffer.from('BURROWBK');
const VERSION = 1;
const TAG_BYTES = 16;
const SHA_BYTES = 32;
/** The largest header a backup may have. */
const MAX_HEADER_BYTES = 64 * 1024;
/** The bytes that hold any header: magic, length and the largest header. */
export const MAX_HEAD_BYTES = MAGIC.length + 4 + MAX_HEADER_BYTES;
/** The largest manifest a backup may have (a million files' worth). */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;
/** scrypt cost: 64 MiB and about a tenth of a second per guess. */
const SCRYPT = { N: 2 ** 16, r: 8, p: 1 };
/** The highest cost a backup may ask for: a crafted header must not make restore eat the machine. */
const MAX_SCRYPT_N = 2 ** 20;
/**
 * The most N * r * p a backup may ask for: four times ours. It bounds memory (128 * N * r
 * bytes, so 256 MiB at most) and time together; bounding N, r and p each let one header ask for 4 GiB.
 */
const MAX_SCRYPT_WORK = 4 * SCRYPT.N * SCRYPT.r * SCRYPT.p;
const CHECK_LABEL = 'burrow-backup-passphrase-check';

/** One file of a server home, by its path relative to the home, held in memory. */
export interface BackupFile {
  path: string;
  data: Buffer;
}

/** What a backup holds, listed before the files themselves. */
export interface BackupManifest {
  createdAt: string;
  /** The home the backup was taken from (for the operator's information only). */
  sourceHome: string;
  /** The path (among the files) of the SQLite database snapshot; null in a secrets-only backup. */
  database: string | null;
  files: { path: string; size: number; sha256: string }[];
}

/** A backup's contents once opened and verified, in memory (small backups: join bundles, tests). */
export interface BackupContents {
  manifest: BackupManifest;
  files: BackupFile[];
}

/** How a backup's payload is protected, as its header says. */
export interface BackupHeader {
  version: number;
  encryption: 'none' | 'scrypt-aes-256-gcm';
  scrypt?: { N: number; r: number; p: number; salt: string };
  iv?: string;
  /** HMAC of a fixed label under a second derived key: tells a wrong passphrase from a damaged file. */
  check?: string;
}

/** Turns payload bytes into what is written (or read back), then gives the trailer (or checks it). */
export interface PayloadCodec {
  update(chunk: Buffer): Buffer;
  /** Writing: the last bytes and the trailer. Reading: the last bytes, or throws when the trailer does not match. */
  final(): Buffer;
}

/** Hex SHA-256 of a buffer. */
export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function deriveKeys(passphrase: string, s: { N: number; r: number; p: number; salt: string }): { key: Buffer; check: string } {
  const out = scryptSync(passphrase.normalize('NFC'), Buffer.from(s.salt, 'base64'), 64, { N: s.N, r: s.r, p: s.p, maxmem: 256 * s.N * s.r + 1024 * 1024 });
  return { key: out.subarray(0, 32), check: createHmac('sha256', out.subarray(32)).update(CHECK_LABEL).digest('hex') };
}

/** A new backup's head (magic, length, header) and the codec its payload goes through; encrypted unless `passphrase` is null. */
export function sealingHead(passphrase: string | null): { head: Buffer; codec: PayloadCodec } {
  let header: BackupHeader = { version: VERSION, encryption: 'none' };
  let key: Buffer | undefined;
  if (passphrase !== null) {
    const s = { ...SCRYPT, salt: randomBytes(16).toString('base64') };
    const derived = deriveKeys(passphrase, s);
    key = derived.key;
    header = { version: VERSION, encryption: 'scrypt-aes-256-gcm', scrypt: s, iv: randomBytes(12).toString('base64'), check: derived.check };
  }
  const headerBytes = Buffer.from(JSON.stringify(header));
  const head = Buffer.concat([MAGIC, u32(headerBytes.length), headerBytes]);
  if (!key || !header.iv) {
    const sum = createHash('sha256').update(head);
    return { head, codec: { update: (c) => (sum.update(c), c), final: () => sum.digest() } };
  }
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  cipher.setAAD(head);
  return { head, codec: { update: (c) => cipher.update(c), final: () => Buffer.concat([cipher.final(), cipher.getAuthTag()]) } };
}

/** Reads the header from the first bytes of a backup (at least MAX_HEAD_BYTES of them, or the whole file). */
export function readBackupHeader(prefix: Buffer, name: string): { header: BackupHeader; headEnd: number; trailerBytes: number } {
  if (prefix.length < MAGIC.length + 4 || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) throw notABackup(name, 'it does not start like one');
  const len = prefix.readUInt32BE(MAGIC.length);
  const headEnd = MAGIC.length + 4 + len;
  if (len > MAX_HEADER_BYTES || headEnd > prefix.length) throw damagedBackup(name);
  let header: BackupHeader;
  try {
    header = JSON.parse(prefix.subarray(MAGIC.length + 4, headEnd).toString('utf8')) as BackupHeader;
  } catch {
    throw damagedBackup(name);
  }
  if (header.version !== VERSION) throw notABackup(name, `it has format version ${String(header.version)}, and this burrow reads version ${VERSION}`);
  if (header.encryption !== 'none' && header.encryption !== 'scrypt-aes-256-gcm') throw damagedBackup(name);
  return { header, headEnd, trailerBytes: header.encryption === 'none' ? SHA_BYTES : TAG_BYTES };
}

/**
 * The codec that opens a payload: checks the passphrase (before any payload byte is read),
 * decrypts, and at `final` checks the tag or checksum against `trailer`.
 */
export function openingCodec(header: BackupHeader, head: Buffer, trailer: Buffer, passphrase: string | null, name: string): PayloadCodec {
  if (header.encryption === 'none') {
    const sum = createHash('sha256').update(head);
    return {
      update: (c) => (sum.update(c), c),
      final: () => {
        if (!sum.digest().equals(trailer)) throw damagedBackup(name);
        return Buffer.alloc(0);
      },
    };
  }
  if (passphrase === null) throw new BurrowError('VALIDATION', `The backup ${name} is encrypted; give its passphrase.`);
  const s = header.scrypt;
  const iv = typeof header.iv === 'string' ? Buffer.from(header.iv, 'base64') : Buffer.alloc(0);
  if (!s || iv.length !== 12 || typeof header.check !== 'string' || !/^[0-9a-f]{64}$/.test(header.check) || !validScrypt(s)) {
    throw notABackup(name, 'its encryption parameters are invalid');
  }
  const derived = deriveKeys(passphrase, s);
  if (!timingSafeEqual(Buffer.from(derived.check, 'hex'), Buffer.from(header.check, 'hex'))) {
    throw new BurrowError('VALIDATION', `The passphrase for the backup ${name} is wrong.`);
  }
  const decipher = createDecipheriv('aes-256-gcm', derived.key, iv);
  decipher.setAAD(head);
  decipher.setAuthTag(trailer);
  return {
    update: (c) => decipher.update(c),
    final: () => {
      try {
        return decipher.final();
      } catch {
        throw damagedBackup(name);
      }
    },
  };
}

function validScrypt(s: { N: number; r: number; p: number; salt: string }): boolean {
  const int = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
  return int(s.N, MAX_SCRYPT_N) && (s.N & (s.N - 1)) === 0 && int(s.r, 32) && int(s.p, 16) && s.N * s.r * s.p <= MAX_SCRYPT_WORK && typeof s.salt === 'string';
}

/** Parses and checks a manifest: every path inside the home, sizes and hashes well formed, the database among the files. */
export function parseManifest(bytes: Buffer, name: string): BackupManifest {
  let m: BackupManifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as BackupManifest;
  } catch {
    throw damagedBackup(name);
  }
  if (typeof m !== 'object' || m === null || !Array.isArray(m.files)) throw damagedBackup(name);
  for (const f of m.files as unknown[]) {
    const e = f as Partial<BackupManifest['files'][number]> | null;
    if (!e || !safeRelativePath(e.path) || !Number.isSafeInteger(e.size) || (e.size as number) < 0 || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) throw damagedBackup(name);
  }
  if (new Set(m.files.map((f) => f.path)).size !== m.files.length) throw damagedBackup(name);
  if (m.database !== null && (typeof m.database !== 'string' || !m.files.some((f) => f.path === m.database))) throw damagedBackup(name);
  return m;
}

/** A path that stays inside the home: relative, no `.`/`..`/empty segments, no backslashes. */
export function safeRelativePath(p: unknown): p is string {
  if (typeof p !== 'string' || p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Four bytes, big-endian. */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The error for a backup whose bytes do not check out; nothing was restored. */
export function damagedBackup(name: string): BurrowError {
  return new BurrowError('VALIDATION', `The backup ${name} is damaged (its integrity check failed); nothing was restored.`);
}

function notABackup(name: string, why: string): BurrowError {
  return new BurrowError('VALIDATION', `${name} is not a burrow backup this version can read: ${why}.`);
}
