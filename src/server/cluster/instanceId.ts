import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../shared/secureFiles.js';
import { serverPaths } from '../serverHome.js';

const ID = /^i-[0-9a-f]{12}$/;

/**
 * This server home's instance id: made once and kept in the home, so a restarted instance
 * is the same instance (its start-up sweeps find its own records) and a new home joining a
 * deployment is a new one. Called under the home's lock, so no two processes race to make it.
 */
export async function readOrCreateInstanceId(home: string): Promise<string> {
  const file = serverPaths(home).instanceId;
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined) {
    if (!ID.test(existing)) throw new Error(`${file} does not hold an instance id (i- and 12 hex digits); remove it to make a new one.`);
    return existing;
  }
  const id = `i-${randomBytes(6).toString('hex')}`;
  await writeFileAtomic(file, `${id}\n`);
  return id;
}
