import { readJsonFile, writeFileAtomic } from '../../shared/secureFiles.js';

/**
 * The nonces of the signed manifests this node has accepted, each kept until its manifest
 * expires, in a file of the node's home: a signed job replayed as is (same command, same
 * file) is refused too, after an agent restart as well.
 */
export class UsedManifests {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** Records `nonce` and answers true, or answers false when it was already used (a replay). */
  claim(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    // One claim at a time, so two copies of one job delivered together cannot both win.
    const run = this.queue.then(async () => {
      const raw = await readJsonFile(this.file);
      const seen: Record<string, number> = {};
      for (const [k, exp] of Object.entries(raw !== null && typeof raw === 'object' ? raw : {})) {
        if (typeof exp === 'number' && exp >= now) seen[k] = exp;
      }
      if (nonce in seen) return false;
      seen[nonce] = expiresAt;
      await writeFileAtomic(this.file, `${JSON.stringify(seen)}\n`, 0o600);
      return true;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
