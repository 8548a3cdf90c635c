import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BurrowError } from '../shared/errors.js';

/** A held lock on a server home; `release()` gives it up (idempotent). */
export interface HomeLock {
  release(): Promise<void>;
}

/** Whether process `pid` is alive (EPERM: alive, but another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the home's lock before the server reads or writes anything there: a second
 * `server start` on a running home used to close the live sessions in the shared database
 * (as orphans of a previous run) before failing to bind the port. The lock is a file
 * created exclusively with the holder's pid; one whose process is gone (a crash) is stale
 * and taken over.
 */
export async function lockHome(home: string): Promise<HomeLock> {
  const path = join(home, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new BurrowError('CONFIG_INVALID', `A burrow server (pid ${pid}) is already running on ${home}; stop it first.`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new BurrowError('CONFIG_INVALID', `Could not take the lock ${path}; another server may be starting on ${home}.`);
}

/** The pid of the live server holding the home's lock, if one runs. */
export async function lockHolder(home: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(home, 'server.lock'), 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}
