import { rename, stat } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { Clock } from '../shared/clock.js';
import { writeFileAtomic } from '../shared/secureFiles.js';
import { nodePaths } from './nodeHome.js';

/**
 * Rotates the node's SSH key on a schedule: a new key is made and kept beside the old one
 * (`id_ed25519.next`, 0600) until the server confirms, over the tunnel the old key opened,
 * that it registered it; only then does the new key replace the old on disk. A crash in
 * between leaves the old key in place, which the server still accepts.
 */
export class KeyRotation {
  private pending?: { publicKey: string; privateKey: string };

  constructor(
    private readonly home: string,
    private readonly rotateEveryMs: number,
    private readonly clock: Clock,
    /** Receives the new private key once it is the node's key. */
    private readonly onRotated: (privateKey: string) => void,
  ) {}

  /** Whether the key is older than the rotation period and no rotation is under way. */
  async due(): Promise<boolean> {
    if (this.pending) return false;
    const s = await stat(nodePaths(this.home).privateKey);
    return this.clock.now() - s.mtimeMs >= this.rotateEveryMs;
  }

  /** Makes the next key and returns its public half, for the server to register. */
  async prepare(): Promise<string> {
    const keys = ssh2.utils.generateKeyPairSync('ed25519');
    await writeFileAtomic(`${nodePaths(this.home).privateKey}.next`, keys.private, 0o600);
    this.pending = { publicKey: keys.public.trim(), privateKey: keys.private };
    return this.pending.publicKey;
  }

  /** The server registered `publicKey`: if it is ours, make it the node's key. */
  async commit(publicKey: string): Promise<boolean> {
    const p = this.pending;
    if (!p || publicKey.trim() !== p.publicKey) return false;
    const paths = nodePaths(this.home);
    await rename(`${paths.privateKey}.next`, paths.privateKey);
    await writeFileAtomic(paths.publicKey, `${p.publicKey}\n`, 0o644);
    this.pending = undefined;
    this.onRotated(p.privateKey);
    return true;
  }

  /** Forgets an unconfirmed rotation (the tunnel dropped); the next one starts afresh. */
  abandon(): void {
    this.pending = undefined;
  }
}
