import { readFileSync } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
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
 * When process `pid` started (epoch ms), from Linux's /proc; undefined where that cannot
 * be read. /proc/PID/stat field 22 counts clock ticks (USER_HZ, 100 on Linux) since boot.
 */
function startedAt(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()?.trim().split(' ') ?? [];
    const ticks = Number(fields[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && boot > 0 ? boot * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock at `path`, naming `pid`, is still held: its process is alive and
 * started before the lock was written. A crashed server's pid may since belong to an
 * unrelated process, which must neither block the home nor be sent its SIGHUP.
 */
async function holds(path: string, pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return false;
  const started = startedAt(pid);
  const written = await stat(path).then((s) => s.mtimeMs, () => undefined);
  // Boot time is known to the second: allow for it.
  return started === undefined || written === undefined || started <= written + 2_000;
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
    if (await holds(path, pid)) {
      throw new BurrowError('CONFIG_INVALID', `A burrow server (pid ${pid}) is already running on ${home}; stop it first.`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new BurrowError('CONFIG_INVALID', `Could not take the lock ${path}; another server may be starting on ${home}.`);
}

/** The pid of the live server holding the home's lock, if one runs. */
export async function lockHolder(home: string): Promise<number | undefined> {
  const path = join(home, 'server.lock');
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  return (await holds(path, pid)) ? pid : undefined;
}
