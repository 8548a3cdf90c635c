import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, chmod, stat } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { BurrowError } from './errors.js';

/**
 * Writes a file atomically (temp file + rename) so a crash never leaves half a file,
 * with mode 0600 by default because most of what burrow writes is secret.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** Reads and parses a JSON file; a missing file is `undefined`, a broken one an error. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BurrowError('CONFIG_INVALID', `${path} is not valid JSON.`, { cause: err });
  }
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates a home directory readable only by its owner. */
export async function ensureHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
}
