import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditPaths } from '../audit/auditKeys.js';
import { backupSkips, bulkData } from '../serverHome.js';
import type { BackupSource } from './backupWriter.js';

/**
 * Lists every file of a server home that a backup carries (see `backupSkips`), recordings
 * left out when `secretsOnly`. Symbolic links and other special files are not followed.
 * Files are read as the backup is written, except the audit checkpoints, read now.
 */
export async function listHomeFiles(home: string, o: { secretsOnly: boolean }): Promise<BackupSource[]> {
  const out: BackupSource[] = [];
  const checkpoints = auditPaths('').checkpoints;
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(home, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (backupSkips(path) || (o.secretsOnly && bulkData(path))) continue;
      const st = await lstat(join(home, path));
      if (st.isDirectory()) await walk(path);
      // The running server appends checkpoints; a line caught half-written is left out.
      else if (st.isFile() && path === checkpoints) out.push({ path, data: completeLines(await readFile(join(home, path))) });
      else if (st.isFile()) out.push({ path, file: join(home, path) });
    }
  };
  await walk('');
  return out;
}

function completeLines(data: Buffer): Buffer {
  return data.subarray(0, data.lastIndexOf(0x0a) + 1);
}
