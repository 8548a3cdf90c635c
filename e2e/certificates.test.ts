import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { parseEnrollToken } from '../src/shared/enrollProtocol.js';
import type { NodeView } from '../src/shared/protocol.js';
import { pinOfRaw } from '../src/shared/tlsPin.js';
import { burrowJson, burrowOk, runBurrow } from './harness/burrowCli.js';
import { ADMIN } from './harness/serverStack.js';
import { Stack } from './harness/stack.js';
import { totpCode } from './harness/totp.js';
import { waitFor, waitUntil } from './harness/waitFor.js';

const run = promisify(execFile);

/** The pin of the certificate a TLS server on 127.0.0.1:`port` presents now. */
function presentedPin(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const pin = pinOfRaw(socket.getPeerCertificate().raw);
      socket.destroy();
      resolve(pin);
    });
    socket.once('error', reject);
  });
}

/** A P-256 key and its PEM file. */
async function newKey(dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.key`);
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  return path;
}

/** A certificate for localhost and its key, both expired in 2020. */
async function expiredCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate: new Date('2020-01-01'), notAfterDate: new Date('2020-02-01') });
  const [cert, key] = [join(dir, 'expired.pem'), join(dir, 'expired.key')];
  await writeFile(cert, pems.cert);
  await writeFile(key, pems.private);
  return { cert, key };
}

/**
 * An operator's own certificate for localhost: a leaf signed by a CA of theirs, written as
 * a chain file (leaf, then the CA as the intermediate), with its key.
 */
async function ownCertificate(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const caKey = await newKey(dir, `${name}-ca`);
  const caCert = join(dir, `${name}-ca.pem`);
  await run('openssl', ['req', '-x509', '-new', '-key', caKey, '-subj', `/CN=${name} CA`, '-days', '30', '-out', caCert]);
  const key = await newKey(dir, name);
  const csr = join(dir, `${name}.csr`);
  await run('openssl', ['req', '-new', '-key', key, '-subj', '/CN=localhost', '-out', csr]);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const leaf = join(dir, `${name}-leaf.pem`);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-extfile', ext, '-days', '30', '-out', leaf]);
  const chain = join(dir, `${name}-chain.pem`);
  await writeFile(chain, `${await readFile(leaf, 'utf8')}${await readFile(caCert, 'utf8')}`);
  return { cert: chain, key };
}

/**
 * Someone in between: terminates TLS with a certificate of its own and relays the bytes to
 * the real server, so SSH inside still reaches it (and its host key checks out).
 */
async function interceptor(target: number): Promise<{ port: number; close: () => Promise<void> }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert: pems.cert, key: pems.private }, (client) => {
    const upstream = tls.connect({ host: '127.0.0.1', port: target, rejectUnauthorized: false, servername: 'localhost' });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let stack: Stack;
const port = () => Number(new URL(stack.url).port);
const serverLog = () => readFile(join(stack.dir, 'server.log'), 'utf8');

describe('certificates: bring your own, reload without a restart, pins that survive a new key', () => {
  before(async () => {
    stack = await Stack.start({ nodeConfig: { backoffMaxMs: 2_000 } });
  });
  after(async () => {
    await stack?.close();
  });

  it('refuses a certificate that does not fit, in one sentence, and keeps the one in place', async () => {
    const mine = await ownCertificate(stack.dir, 'refused');
    const otherKey = await newKey(stack.dir, 'other');
    const expired = await expiredCertificate(stack.dir);
    const before = await presentedPin(port());
    const cases: [string[], RegExp][] = [
      [['--cert', mine.cert, '--key', otherKey], /does not match/],
      [['--cert', expired.cert, '--key', expired.key], /expired/],
      [['--cert', join(stack.dir, 'missing.pem'), '--key', mine.key], /cannot be read/],
      [['--cert', mine.key, '--key', mine.key], /no certificate/],
    ];
    for (const [args, message] of cases) {
      const r = await runBurrow(['server', 'cert', 'set', '--home', stack.serverHome, ...args]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(await presentedPin(port()), before);
  });

  it('a bad file dropped in place is not loaded: the server keeps its certificate and says why', async () => {
    const before = await presentedPin(port());
    const certPath = join(stack.serverHome, 'tls', 'cert.pem');
    const good = await readFile(certPath, 'utf8');
    await writeFile(certPath, 'not a certificate\n');
    await waitUntil(async () => /certificate not reloaded/.test(await serverLog()), 15_000, 'the server to log the refused file');
    assert.equal(await presentedPin(port()), before);
    await writeFile(certPath, good);
  });

  it('rotates to a new key: tunnels and sessions stay, offline and new nodes connect, admins log in with the new pin', async () => {
    const n1 = stack.node;
    const offline = await stack.enrollNode('n2', await stack.enrollToken({ autoApprove: true }), { backoffMaxMs: 2_000 });
    const session = await stack.adminJson<{ id: string; port: number }>(['session', 'open', 'n1', '--json']);
    const oldPin = stack.pin;
    assert.equal(await presentedPin(session.port), oldPin);

    const mine = await ownCertificate(stack.dir, 'renewed');
    const set = await burrowJson<{ fingerprint: string; reloaded: boolean }>(['server', 'cert', 'set', '--home', stack.serverHome, '--cert', mine.cert, '--key', mine.key]);
    assert.equal(set.reloaded, true, 'the running server was told to reload');
    const newPin = set.fingerprint;
    assert.notEqual(newPin, oldPin);
    assert.equal((await burrowOk(['server', 'fingerprint', '--home', stack.serverHome])).trim(), newPin);
    await waitFor('the server to present the new certificate', async () => (await presentedPin(port())) === newPin);
    stack.pin = newPin;
    // The admin CLI pinned the old key: it refuses the server until the admin logs in with the new fingerprint.
    // The next step's code: the one of this step may have been used by the stack's own login.
    const login = (pin: string) => totpCode(stack.totpSecret, 30).then((code) => runBurrow(['admin', 'login', '--home', stack.adminHome, '--server', stack.url, '--email', ADMIN.email, '--password-file', stack.passwordFile, '--totp', code, '--fingerprint', pin]));
    const stale = await runBurrow(['admin', 'nodes', '--home', stack.adminHome]);
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /does not match the pinned one/);
    const refused = await login(oldPin);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /does not match the pinned one/);
    const ok = await login(newPin);
    assert.equal(ok.code, 0, ok.stderr);
    // The session port serves new connections with the new certificate, and the session is still open.
    assert.equal(await presentedPin(session.port), newPin);
    const sessions = await stack.adminJson<{ id: string; state?: string; status?: string }[]>(['session', 'list', '--json']);
    assert.ok(sessions.some((s) => s.id === session.id), JSON.stringify(sessions));

    // The connected node kept its tunnel.
    assert.equal((await stack.api<NodeView>('GET', `/v1/nodes/${n1.id}`)).online, true);
    const reloads = await stack.adminJson<{ action: string; result: string; detail?: { fingerprint?: string } }[]>(['audit', '--action', 'server.cert', '--json']);
    assert.ok(reloads.some((e) => e.result === 'ok' && e.detail?.fingerprint === newPin), JSON.stringify(reloads));

    // A node that was offline during the switch connects, and pins the new certificate.
    stack.runAgent(offline);
    await stack.waitOnline(offline.id, true, 30_000);
    await waitUntil(async () => (JSON.parse(await readFile(join(offline.home, 'node.json'), 'utf8')) as { tlsPin: string }).tlsPin === newPin, 15_000, 'n2 to pin the new certificate');

    // The connected node, when its link next drops (here its agent restarts), comes back and pins the new key.
    assert.ok(n1.agent);
    await stack.procs.stop(n1.agent);
    await stack.waitOnline(n1.id, false, 30_000);
    stack.runAgent(n1);
    await stack.waitOnline(n1.id, true, 30_000);
    await waitUntil(async () => (JSON.parse(await readFile(join(n1.home, 'node.json'), 'utf8')) as { tlsPin: string }).tlsPin === newPin, 15_000, 'n1 to pin the new certificate');

    // New enrollment tokens carry the new pin, and a new node enrolls with it.
    const token = await stack.enrollToken({ autoApprove: true });
    assert.equal(parseEnrollToken(token)?.pin, newPin);
    const fresh = await stack.enrollNode('n3', token);
    stack.runAgent(fresh);
    await stack.waitOnline(fresh.id, true, 30_000);

  });

  it('a node does not follow a certificate the server does not vouch for, even when SSH behind it is genuine', async () => {
    const mitm = await interceptor(port());
    try {
      const token = await stack.enrollToken({ autoApprove: true });
      const node = await stack.enrollNode('n4', token, { serverUrl: `https://127.0.0.1:${mitm.port}`, backoffMaxMs: 2_000 });
      const pinned = (JSON.parse(await readFile(join(node.home, 'node.json'), 'utf8')) as { tlsPin: string }).tlsPin;
      stack.runAgent(node);
      await waitUntil(async () => /not the one the server has in service/.test((await stack.nodeStatus(node)).lastError ?? ''), 30_000, 'n4 to refuse the interceptor');
      assert.equal((JSON.parse(await readFile(join(node.home, 'node.json'), 'utf8')) as { tlsPin: string }).tlsPin, pinned);
      const connects = await stack.adminJson<{ actor: string; detail?: { services?: string[] } }[]>(['audit', '--action', 'node.connect', '--json']);
      // It reached the real server through SSH (the host key checked out), yet announced no service.
      const mine = connects.filter((e) => e.actor === node.id);
      assert.ok(mine.length > 0 && mine.every((e) => (e.detail?.services ?? []).length === 0), JSON.stringify(mine));
      assert.ok(node.agent);
      await stack.procs.stop(node.agent);
    } finally {
      await mitm.close();
    }
  });

  it('SIGHUP reloads the files in place', async () => {
    const mine = await ownCertificate(stack.dir, 'hup');
    const tlsDir = join(stack.serverHome, 'tls');
    // Written where a tool such as certbot's deploy hook would put them; key first, so the
    // watcher sees a mismatched pair at worst, which it refuses.
    await writeFile(join(tlsDir, 'key.pem'), await readFile(mine.key, 'utf8'), { mode: 0o600 });
    await writeFile(join(tlsDir, 'cert.pem'), await readFile(mine.cert, 'utf8'));
    const pid = Number.parseInt(await readFile(join(stack.serverHome, 'server.lock'), 'utf8'), 10);
    process.kill(pid, 'SIGHUP');
    const pin = (await burrowOk(['server', 'fingerprint', '--home', stack.serverHome])).trim();
    await waitFor('the server to present the certificate reloaded on SIGHUP', async () => (await presentedPin(port())) === pin);
    stack.pin = pin;
    assert.equal((await stack.api<NodeView>('GET', `/v1/nodes/${stack.node.id}`)).online, true);
  });
});
