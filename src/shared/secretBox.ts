import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BurrowError } from './errors.js';
import { exists, writeFileAtomic } from './secureFiles.js';

const VERSION = 'v1';

/** Seals small secrets (TOTP secrets, proxy passwords) with AES-256-GCM under one key. */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Loads the key file, creating it (mode 0600) on first use. */
  static async fromKeyFile(path: string): Promise<SecretBox> {
    if (!(await exists(path))) await writeFileAtomic(path, randomBytes(32).toString('base64'), 0o600);
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    if (key.length !== 32) throw new BurrowError('CONFIG_INVALID', `${path} does not hold a 32-byte key.`);
    return new SecretBox(key);
  }

  /** Encrypts `plain`; `context` binds the ciphertext to its use (e.g. a user id). */
  seal(plain: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Decrypts what `seal` made with the same context; fails loudly if tampered. */
  open(sealed: string, context = ''): string {
    const [version, data] = sealed.split(':');
    if (version !== VERSION || !data) throw new BurrowError('INTERNAL', 'Unknown sealed secret format.');
    const raw = Buffer.from(data, 'base64url');
    // IV (12) + tag (16) at least; a shorter tag would make forgeries easier.
    if (raw.length < 28) throw new BurrowError('INTERNAL', 'A sealed secret is truncated.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new BurrowError('INTERNAL', 'A sealed secret failed authentication (wrong key file or tampered data).', { cause: err });
    }
  }
}
