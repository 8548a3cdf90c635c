import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinOfPem } from '../../shared/tlsPin.js';
import { serverPaths } from '../serverHome.js';
import { readOrCreatePeerCredentials } from './peerCredentials.js';

describe('readOrCreatePeerCredentials', () => {
  it('makes a private key pair once and gives the same one after', async () => {
    const home = await mkdtemp(join(tmpdir(), 'burrow-peer-'));
    try {
      const first = await readOrCreatePeerCredentials(home);
      const paths = serverPaths(home);
      assert.equal(first.pin, pinOfPem(await readFile(paths.peerCert, 'utf8')));
      assert.match(first.key, /PRIVATE KEY/);
      for (const p of [paths.peerKey, paths.peerCert]) assert.equal((await stat(p)).mode & 0o777, 0o600, p);
      assert.equal((await stat(join(home, 'peer'))).mode & 0o777, 0o700);
      assert.deepEqual(await readOrCreatePeerCredentials(home), first);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses half a pair rather than making a new key the other instances do not hold', async () => {
    const home = await mkdtemp(join(tmpdir(), 'burrow-peer-'));
    try {
      await readOrCreatePeerCredentials(home);
      await unlink(serverPaths(home).peerKey);
      await assert.rejects(readOrCreatePeerCredentials(home), /key\.pem is missing while its pair is there/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
