import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRefusal, openAllowedFile } from './allowedFile.js';

describe('openAllowedFile', () => {
  let root = '';
  const files = () => ({ allow: [join(root, 'logs')], maxBytes: 10, bundleLogs: [] });
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'burrow-allowed-'));
    await mkdir(join(root, 'logs', 'sub'), { recursive: true });
    await mkdir(join(root, 'logs-other'));
    await writeFile(join(root, 'logs', 'sub', 'a.log'), 'hello');
    await writeFile(join(root, 'logs', 'big.log'), 'x'.repeat(11));
    await writeFile(join(root, 'logs-other', 'b.log'), 'sibling');
    await symlink(join(root, 'logs-other', 'b.log'), join(root, 'logs', 'link.log'));
    await symlink(join(root, 'logs', 'sub', 'a.log'), join(root, 'inside-link.log'));
    execFileSync('mkfifo', [join(root, 'logs', 'pipe.log')]);
    await mkdir(join(root, 'logs', 'swap'));
    await writeFile(join(root, 'logs', 'swap', 'x.log'), 'harmless');
    await mkdir(join(root, 'secret'));
    await writeFile(join(root, 'secret', 'x.log'), 'the secret');
  });
  after(async () => {
    // Releases an open() that a FIFO would hold forever, had one been left waiting for a writer.
    await open(join(root, 'logs', 'pipe.log'), constants.O_WRONLY | constants.O_NONBLOCK).then((h) => h.close(), () => undefined);
    await rm(root, { recursive: true, force: true });
  });

  const refused = (path: string, why: RegExp) => assert.rejects(openAllowedFile(path, files()), (err: unknown) => err instanceof FileRefusal && why.test(err.message));

  it('opens a file under an allowed directory, with its size and name', async () => {
    const f = await openAllowedFile(join(root, 'logs', 'sub', 'a.log'), files());
    try {
      assert.equal(f.size, 5);
      assert.equal(f.name, 'a.log');
    } finally {
      await f.handle.close();
    }
  });

  it('refuses a sibling directory that merely shares the prefix', () => refused(join(root, 'logs-other', 'b.log'), /outside the directories/));
  it('refuses a symlink under the directory that leads out of it', () => refused(join(root, 'logs', 'link.log'), /outside the directories/));
  it('refuses a directory, a missing file and one over the size limit', async () => {
    await refused(join(root, 'logs', 'sub'), /not a regular file/);
    await refused(join(root, 'logs', 'nope.log'), /There is no file/);
    await refused(join(root, 'logs', 'big.log'), /11 bytes, more than the 10/);
  });
  // Opening a FIFO for reading waits for a writer: a local user's pipe would hold the agent's file threads.
  it('refuses a FIFO at once rather than waiting for a writer', { timeout: 20_000 }, () => refused(join(root, 'logs', 'pipe.log'), /not a regular file/));
  // A local user who owns a directory under an allowed one swaps it for a symlink while the pull runs.
  const swapToSecret = async () => {
    await rename(join(root, 'logs', 'swap'), join(root, 'logs', 'swap.away'));
    await symlink(join(root, 'secret'), join(root, 'logs', 'swap'));
  };
  const swapBack = async () => {
    await rm(join(root, 'logs', 'swap'));
    await rename(join(root, 'logs', 'swap.away'), join(root, 'logs', 'swap'));
  };
  it('refuses a file reached through a directory swapped for a symlink during the pull', async () => {
    const racing: typeof open = async (...args) => {
      await swapToSecret();
      return open(...args);
    };
    try {
      await assert.rejects(openAllowedFile(join(root, 'logs', 'swap', 'x.log'), files(), racing), (err: unknown) => err instanceof FileRefusal && /outside the directories/.test(err.message));
    } finally {
      await swapBack();
    }
  });
  it('refuses it too when the directory is swapped back right after the open', async () => {
    const racing: typeof open = async (...args) => {
      await swapToSecret();
      const h = await open(...args);
      await swapBack();
      return h;
    };
    await assert.rejects(openAllowedFile(join(root, 'logs', 'swap', 'x.log'), files(), racing), (err: unknown) => err instanceof FileRefusal && /changed while it was opened|outside the directories/.test(err.message));
  });
  it('refuses everything while no directory is allowed', () =>
    assert.rejects(openAllowedFile(join(root, 'logs', 'sub', 'a.log'), { allow: [], maxBytes: 10, bundleLogs: [] }), /File pull is off/));
  it('follows a symlink from outside that lands inside an allowed directory', async () => {
    const f = await openAllowedFile(join(root, 'inside-link.log'), files());
    await f.handle.close();
    assert.equal(f.name, 'a.log');
  });
});
