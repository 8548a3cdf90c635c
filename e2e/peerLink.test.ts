import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { systemClock } from '../src/shared/clock.js';
import { BurrowError } from '../src/shared/errors.js';
import { pinOfPem } from '../src/shared/tlsPin.js';
import { MtlsPeerDialer } from '../src/server/cluster/mtlsPeerDialer.js';
import { freePort } from './harness/freePort.js';
import { Stack } from './harness/stack.js';
import { waitFor } from './harness/waitFor.js';
import { WEBUI_HTML } from './harness/webUi.js';

/** GET / over an already open byte stream (what the peer link gives), as a session relay would send it. */
function getOver(stream: Duplex): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ createConnection: () => stream, path: '/', headers: { host: 'node.local', connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
}

// Issue 20: `server init --peer-listen` gives an instance the peer link over which the
// deployment's other instances (holding the same peer key files) reach the nodes it holds.
describe('the peer link of a running server', () => {
  let s: Stack;
  let peerUrl = '';
  let dialer: MtlsPeerDialer;

  before(async () => {
    const peerPort = await freePort();
    peerUrl = `https://127.0.0.1:${peerPort}`;
    s = await Stack.start({ initArgs: ['--peer-listen', `127.0.0.1:${peerPort}`] });
    // What another instance of the deployment holds: the same peer files.
    const [cert, key] = await Promise.all(['cert.pem', 'key.pem'].map((f) => readFile(join(s.serverHome, 'peer', f), 'utf8'))) as [string, string];
    dialer = new MtlsPeerDialer({ credentials: { cert, key, pin: pinOfPem(cert) }, clock: systemClock });
  });
  afterEach((t) => {
    if (!t.passed) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${s.procs.logTails()}\n`);
  });
  after(async () => {
    await dialer.close();
    await s.close();
  });

  it('is ready with the peer link listening, and relays a node\'s WebUI to a holder of the peer key', async () => {
    assert.deepEqual(await s.api('GET', '/readyz', undefined, false), { ok: true, clusterBus: 'in-process' });
    const stream = await dialer.openService(peerUrl, s.node.id, 'webui', { ip: '203.0.113.9', port: 40001 });
    assert.deepEqual(await getOver(stream), { status: 200, body: WEBUI_HTML });
    await assert.rejects(dialer.openService(peerUrl, 'node-held-elsewhere', 'webui', { ip: '203.0.113.9', port: 40002 }), (err: unknown) => err instanceof BurrowError && err.code === 'NODE_OFFLINE');
  });

  it('cuts a client without the peer key and audits it', async () => {
    const stranger = tls.connect({ host: '127.0.0.1', port: Number(new URL(peerUrl).port), rejectUnauthorized: false });
    stranger.on('error', () => undefined);
    await once(stranger, 'close');
    const denied = await waitFor('the refusal in the audit log', async () => (await s.adminJson<{ action: string; sourceIp: string | null; result: string }[]>(['audit', '--action', 'peer.deny']))[0]);
    assert.equal(denied.result, 'denied');
    assert.equal(denied.sourceIp, '127.0.0.1');
  });

  it('gives a home from before peer links its private peer key pair at the first start', async () => {
    await s.killServer();
    await rm(join(s.serverHome, 'peer'), { recursive: true });
    await s.startServer();
    for (const f of ['key.pem', 'cert.pem']) assert.equal((await stat(join(s.serverHome, 'peer', f))).mode & 0o777, 0o600, f);
    // A new pair: the old one no longer opens the link.
    await assert.rejects(dialer.openService(peerUrl, s.node.id, 'webui', { ip: '203.0.113.9', port: 40003 }), (err: unknown) => err instanceof BurrowError && err.code === 'PEER_UNREACHABLE');
  });
});
