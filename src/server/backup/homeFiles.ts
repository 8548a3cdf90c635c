import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditPaths } from '../audit/auditKeys.js';
import { backupSkips, bulkData } from '../serverHome.js';
import type { BackupFile } from './backupFormat.js';

/**
 * Reads every file of a server home that a backup carries (see `backupSkips`), recordings
 * left out when `secretsOnly`. Symbolic links and other special files are not followed.
 */
export async function readHomeFiles(home: string, o: { secretsOnly: boolean }): Promise<BackupFile[]> {
  const out: BackupFile[] = [];
  const checkpoints = auditPaths('').checkpoints;
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(home, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (backupSkips(path) || (o.secretsOnly && bulkData(path))) continue;
      const st = await lstat(join(home, path));
      if (st.isDirectory()) await walk(path);
      else if (st.isFile()) {
        const data = await readFile(join(home, path));
        // The running server appends checkpoints; a line caught half-written is left out.
        out.push({ path, data: path === checkpoints ? completeLines(data) : data });
      }
    }
  };
  await walk('');
  return out;
}

function completeLines(data: Buffer): Buffer {
  return data.subarray(0, data.lastIndexOf(0x0a) + 1);
}
