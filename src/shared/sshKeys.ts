import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

/** An OpenSSH-format ed25519 key pair. */
export interface SshKeyPair {
  private: string;
  public: string;
}

/**
 * A fresh ed25519 key pair that ssh2 can read back. ssh2's generator drops a leading
 * zero byte of the public key (it encodes it like an mpint), so about 1 key in 128 comes
 * out malformed and unusable; such keys are thrown away and made again.
 */
export function generateEd25519(): SshKeyPair {
  for (;;) {
    const keys = ssh2.utils.generateKeyPairSync('ed25519');
    const pub = ssh2.utils.parseKey(keys.public);
    const priv = ssh2.utils.parseKey(keys.private);
    if (!(pub instanceof Error) && !(priv instanceof Error) && pub.getPublicSSH().length === 51) return keys;
  }
}

/** The (first) key in an OpenSSH or PEM key text, or why it is not one: ssh2 answers a list for some formats. */
export function parseSshKey(text: string): ParsedKey | Error {
  const parsed: ParsedKey | ParsedKey[] | Error = ssh2.utils.parseKey(text);
  if (!Array.isArray(parsed)) return parsed;
  return parsed[0] ?? new Error('the text holds no key');
}

/** The wire-format blob of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`), or undefined for anything else. */
export function publicKeyBlob(line: string | null | undefined): { algo: string; blob: Buffer } | undefined {
  const [algo, b64] = (line ?? '').trim().split(/\s+/);
  if (!algo || !b64) return undefined;
  const blob = Buffer.from(b64, 'base64');
  return blob.length ? { algo, blob } : undefined;
}

/** SHA-256 fingerprint of an OpenSSH public key line, as ssh-keygen -l shows it. */
export function keyFingerprint(line: string): string {
  const blob = publicKeyBlob(line)?.blob ?? Buffer.alloc(0);
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
