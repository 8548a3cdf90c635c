import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, sep } from 'node:path';
import type { NodeConfig } from '../../shared/config.js';

/** A file the operator's allowances let the server pull, open for reading. */
export interface AllowedFile {
  handle: FileHandle;
  size: number;
  name: string;
}

/** Why a pull is refused: a sentence for the person who asked, sent back over the channel. */
export class FileRefusal extends Error {}

async function realDir(dir: string): Promise<string | undefined> {
  return realpath(dir).catch(() => undefined);
}

/** Whether `path` (resolved) is `dir` itself or lies under it. */
function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/**
 * Opens `path` when it lies, after resolving every symlink, under one of the allowed
 * directories (resolved too), is a regular file and is no larger than the limit. Resolving
 * first is what stops a symlink under /var/log from handing out /etc/shadow. `openFile` is
 * fs.open, replaced only by tests that race a swap against the open.
 */
export async function openAllowedFile(path: string, files: NodeConfig['files'], openFile: typeof open = open): Promise<AllowedFile> {
  if (files.allow.length === 0) throw new FileRefusal('File pull is off on this node; its operator can allow a directory with "burrow node files allow DIR".');
  const real = await realpath(path).catch((err: NodeJS.ErrnoException) => {
    throw new FileRefusal(err.code === 'ENOENT' ? `There is no file ${path} on this node.` : `Cannot read ${path} on this node (${err.code ?? err.message}).`);
  });
  const dirs = (await Promise.all(files.allow.map(realDir))).filter((d): d is string => d !== undefined);
  if (!dirs.some((d) => isWithin(real, d))) {
    throw new FileRefusal(`${path} is outside the directories this node allows (${files.allow.join(', ')}).`);
  }
  // O_NOFOLLOW: had the last component been swapped for a symlink since realpath, this fails.
  // O_NONBLOCK: a FIFO opens at once (and is refused below) instead of waiting for a writer.
  const handle = await openFile(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    throw new FileRefusal(`Cannot read ${path} on this node (${err.code ?? err.message}).`);
  });
  try {
    const st = await handle.stat();
    // O_NOFOLLOW guards only the last component: a directory on the way, swapped for a
    // symlink meanwhile, is followed. So check what was opened: the path must still
    // resolve inside an allowed directory, to this very file.
    const again = await realpath(real).catch(() => undefined);
    if (again === undefined || !dirs.some((d) => isWithin(again, d))) throw new FileRefusal(`${path} is outside the directories this node allows (${files.allow.join(', ')}).`);
    const there = await stat(again).catch(() => undefined);
    if (there?.dev !== st.dev || there.ino !== st.ino) throw new FileRefusal(`${path} changed while it was opened; try again.`);
    if (!st.isFile()) throw new FileRefusal(`${path} is not a regular file.`);
    if (st.size > files.maxBytes) throw new FileRefusal(`${path} is ${st.size} bytes, more than the ${files.maxBytes} this node allows in one pull.`);
    return { handle, size: st.size, name: basename(real) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
