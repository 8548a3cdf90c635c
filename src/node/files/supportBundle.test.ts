import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { NodeConfig } from '../../shared/config.js';
import type { NodeStatusReport } from '../../shared/protocol.js';
import { supportBundle } from './supportBundle.js';

/** The entries of a bundle: name -> content. */
async function entries(bundle: NodeJS.ReadableStream): Promise<Map<string, string>> {
  const extract = tar.extract();
  const found = new Map<string, string>();
  extract.on('entry', (header, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (b: unknown) => parts.push(b as Buffer));
    stream.on('end', () => {
      found.set(header.name, Buffer.concat(parts).toString('utf8'));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    bundle.pipe(createGunzip()).pipe(extract);
  });
  return found;
}

describe('supportBundle', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'burrow-bundle-'));
    await writeFile(join(root, 'app.log'), 'started\n');
    execFileSync('mkfifo', [join(root, 'pipe.log')]);
  });
  after(async () => {
    // Releases an open() that a FIFO would hold forever, had one been left waiting for a writer.
    await open(join(root, 'pipe.log'), constants.O_WRONLY | constants.O_NONBLOCK).then((h) => h.close(), () => undefined);
    await rm(root, { recursive: true, force: true });
  });

  // A listed log that became a FIFO (a local user's doing) must not hold the bundle, nor the agent's file threads.
  it('notes a listed log that is no regular file instead of waiting on it', { timeout: 20_000 }, async () => {
    const config = { nodeId: 'nd_1', name: 'n1', mode: 'always-on', services: {}, files: { allow: [], maxBytes: 10, bundleLogs: [join(root, 'pipe.log'), join(root, 'app.log')] } } as unknown as NodeConfig;
    const got = await entries(supportBundle(config, () => Promise.resolve({} as NodeStatusReport)));
    assert.match(got.get('logs/pipe.log.unreadable.txt') ?? '', /pipe\.log: not a regular file/);
    assert.equal(got.get('logs/app.log'), 'started\n');
  });
});
