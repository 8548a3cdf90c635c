import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes everything in a server home private: directories 0700, files 0600. Run at start,
 * so a home written by an older version (a 0644 database, certificate or public key) is
 * brought in line; what the server creates later inherits this through its umask and, for
 * SQLite's WAL and shared-memory files, the database file's own mode. Symbolic links are
 * left alone (chmod would follow them out of the home).
 */
export async function tightenHome(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await lstat(p);
    if (st.isDirectory()) await tightenHome(p);
    else if (st.isFile() && (st.mode & 0o777) !== 0o600) await chmod(p, 0o600);
  }
}
