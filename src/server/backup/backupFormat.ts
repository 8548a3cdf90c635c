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
 * (JSON) | the files' bytes in manifest order.
 */
const MAGIC = Buffer.from('BURROWBK');
const VERSION = 1;
const TAG_BYTES = 16;
const SHA_BYTES = 32;
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

/** One file of a server home, by its path relative to the home. */
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

/** A backup's contents once opened and verified. */
export interface BackupContents {
  manifest: BackupManifest;
  files: BackupFile[];
}

interface Header {
  version: number;
  encryption: 'none' | 'scrypt-aes-256-gcm';
  scrypt?: { N: number; r: number; p: number; salt: string };
  iv?: string;
  /** HMAC of a fixed label under a second derived key: tells a wrong passphrase from a damaged file. */
  check?: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function deriveKeys(passphrase: string, s: { N: number; r: number; p: number; salt: string }): { key: Buffer; check: string } {
  const out = scryptSync(passphrase.normalize('NFC'), Buffer.from(s.salt, 'base64'), 64, { N: s.N, r: s.r, p: s.p, maxmem: 256 * s.N * s.r + 1024 * 1024 });
  return { key: out.subarray(0, 32), check: createHmac('sha256', out.subarray(32)).update(CHECK_LABEL).digest('hex') };
}

/** Packs and (unless `passphrase` is null) encrypts a backup. */
export function sealBackup(manifest: Omit<BackupManifest, 'files'>, files: readonly BackupFile[], passphrase: string | null): Buffer {
  const full: BackupManifest = { ...manifest, files: files.map((f) => ({ path: f.path, size: f.data.length, sha256: sha256(f.data) })) };
  const manifestBytes = Buffer.from(JSON.stringify(full));
  const plain = Buffer.concat([u32(manifestBytes.length), manifestBytes, ...files.map((f) => f.data)]);
  let header: Header = { version: VERSION, encryption: 'none' };
  let key: Buffer | undefined;
  if (passphrase !== null) {
    const s = { ...SCRYPT, salt: randomBytes(16).toString('base64') };
    const derived = deriveKeys(passphrase, s);
    key = derived.key;
    header = { version: VERSION, encryption: 'scrypt-aes-256-gcm', scrypt: s, iv: randomBytes(12).toString('base64'), check: derived.check };
  }
  const headerBytes = Buffer.from(JSON.stringify(header));
  const head = Buffer.concat([MAGIC, u32(headerBytes.length), headerBytes]);
  if (!key || !header.iv) return Buffer.concat([head, plain, createHash('sha256').update(head).update(plain).digest()]);
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
  cipher.setAAD(head);
  const payload = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([head, payload, cipher.getAuthTag()]);
}

/** Whether a backup file is encrypted (so restore knows to ask for a passphrase). */
export function backupIsEncrypted(file: Buffer, name: string): boolean {
  return readHeader(file, name).header.encryption !== 'none';
}

/** Opens a backup: checks its tag or checksum, decrypts, and checks every file against the manifest. */
export function openBackup(file: Buffer, name: string, passphrase: string | null): BackupContents {
  const { header, headEnd } = readHeader(file, name);
  const trailer = header.encryption === 'none' ? SHA_BYTES : TAG_BYTES;
  if (file.length < headEnd + trailer) throw damaged(name);
  const head = file.subarray(0, headEnd);
  const body = file.subarray(headEnd, file.length - trailer);
  const end = file.subarray(file.length - trailer);
  let plain: Buffer;
  if (header.encryption === 'none') {
    if (!createHash('sha256').update(head).update(body).digest().equals(end)) throw damaged(name);
    plain = body;
  } else {
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
    decipher.setAuthTag(end);
    try {
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw damaged(name);
    }
  }
  return unpack(plain, name);
}

function readHeader(file: Buffer, name: string): { header: Header; headEnd: number } {
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) throw notABackup(name, 'it does not start like one');
  const len = file.readUInt32BE(MAGIC.length);
  const headEnd = MAGIC.length + 4 + len;
  if (len > 64 * 1024 || headEnd > file.length) throw damaged(name);
  let header: Header;
  try {
    header = JSON.parse(file.subarray(MAGIC.length + 4, headEnd).toString('utf8')) as Header;
  } catch {
    throw damaged(name);
  }
  if (header.version !== VERSION) throw notABackup(name, `it has format version ${String(header.version)}, and this burrow reads version ${VERSION}`);
  if (header.encryption !== 'none' && header.encryption !== 'scrypt-aes-256-gcm') throw damaged(name);
  return { header, headEnd };
}

function validScrypt(s: { N: number; r: number; p: number; salt: string }): boolean {
  const int = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
  return int(s.N, MAX_SCRYPT_N) && (s.N & (s.N - 1)) === 0 && int(s.r, 32) && int(s.p, 16) && s.N * s.r * s.p <= MAX_SCRYPT_WORK && typeof s.salt === 'string';
}

function unpack(plain: Buffer, name: string): BackupContents {
  if (plain.length < 4) throw damaged(name);
  const len = plain.readUInt32BE(0);
  if (4 + len > plain.length) throw damaged(name);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(plain.subarray(4, 4 + len).toString('utf8')) as BackupManifest;
  } catch {
    throw damaged(name);
  }
  if (!Array.isArray(manifest.files)) throw damaged(name);
  const files: BackupFile[] = [];
  let at = 4 + len;
  for (const f of manifest.files) {
    if (!safeRelativePath(f.path) || !Number.isInteger(f.size) || f.size < 0 || at + f.size > plain.length) throw damaged(name);
    const data = plain.subarray(at, at + f.size);
    if (sha256(data) !== f.sha256) throw damaged(name);
    files.push({ path: f.path, data });
    at += f.size;
  }
  if (at !== plain.length) throw damaged(name);
  if (manifest.database !== null && (typeof manifest.database !== 'string' || !files.some((f) => f.path === manifest.database))) throw damaged(name);
  return { manifest, files };
}

/** A path that stays inside the home: relative, no `.`/`..`/empty segments, no backslashes. */
export function safeRelativePath(p: unknown): p is string {
  if (typeof p !== 'string' || p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function damaged(name: string): BurrowError {
  return new BurrowError('VALIDATION', `The backup ${name} is damaged (its integrity check failed); nothing was restored.`);
}

function notABackup(name: string, why: string): BurrowError {
  return new BurrowError('VALIDATION', `${name} is not a burrow backup this version can read: ${why}.`);
}
