import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initServer, type ServerInitOptions } from './serverInit.js';
import { serverPaths } from './serverHome.js';
import { BurrowError } from '../shared/errors.js';

const base = (home: string): ServerInitOptions => ({ home, listen: '127.0.0.1:8443', sessionPorts: [40000, 40100], adminEmail: 'admin@localhost' });

describe('burrow server init refuses bad options before it writes anything', () => {
  const cases: [string, Partial<ServerInitOptions>, RegExp][] = [
    ['a listen address without a port', { listen: 'nonsense' }, /^--listen: expected HOST:PORT/],
    ['a listen port above 65535', { listen: '0.0.0.0:99999' }, /^--listen: the port must be at most 65535/],
    ['a public URL that is not one', { publicUrl: 'notaurl' }, /^--public-url: "notaurl" is not a URL/],
    ['a plain-http public URL', { publicUrl: 'http://burrow.example.com' }, /^--public-url: /],
    ['a public URL with a path', { publicUrl: 'https://example.com/burrow' }, /^--public-url: /],
    ['an admin email without @', { adminEmail: 'notanemail' }, /^--admin-email: "notanemail" is not an email address/],
    ['an admin email with a space', { adminEmail: 'ad min@example.com' }, /^--admin-email: /],
    ['a session domain that is not a DNS name', { sessionDomain: 'https://sessions.example.com' }, /^--session-domain: expected a DNS name/],
    ['a session domain in capitals', { sessionDomain: 'Sessions.Example.com' }, /^--session-domain: /],
    ['a session domain without a dot', { sessionDomain: 'localhost' }, /^--session-domain: /],
    ['a peer listen address without a port', { peerListen: 'nonsense' }, /^--peer-listen: expected HOST:PORT/],
    ['a wildcard peer listen address without a peer URL', { peerListen: '0.0.0.0:8444' }, /^--peer-listen: 0\.0\.0\.0:8444 listens on every address/],
    ['a peer URL with a path', { peerListen: '10.0.0.21:8444', peerUrl: 'https://10.0.0.21:8444/peer' }, /^--peer-url: expected https:\/\/HOST:PORT/],
    ['a peer URL without a peer listen address', { peerUrl: 'https://10.0.0.21:8444' }, /^--peer-url: it names where --peer-listen is reached/],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what} with a VALIDATION error naming the option, and leaves the home empty`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'burrow-init-'));
      try {
        const home = join(dir, 'home');
        await assert.rejects(initServer({ ...base(home), ...change }), (err: unknown) => err instanceof BurrowError && err.code === 'VALIDATION' && message.test(err.message));
        assert.deepEqual(await readdir(dir), [], 'no home was created');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('takes the default admin@localhost and an IPv6 listen address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-init-'));
    try {
      const r = await initServer({ ...base(join(dir, 'home')), listen: '[::1]:8443' });
      assert.equal(r.url, 'https://[::1]:8443');
      assert.equal(r.adminEmail, 'admin@localhost');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('makes the private peer key pair, and with --peer-listen records where the peer link listens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-init-'));
    try {
      const home = join(dir, 'home');
      const r = await initServer({ ...base(home), peerListen: '0.0.0.0:8444', peerUrl: 'https://10.0.0.21:8444' });
      assert.equal(r.config.peerListen, '0.0.0.0:8444');
      assert.equal(r.config.peerUrl, 'https://10.0.0.21:8444');
      const paths = serverPaths(home);
      assert.match(await readFile(paths.peerKey, 'utf8'), /PRIVATE KEY/);
      for (const p of [paths.peerKey, paths.peerCert]) assert.equal((await stat(p)).mode & 0o777, 0o600, p);
      const plain = await initServer(base(join(dir, 'plain')));
      assert.equal(plain.config.peerListen, undefined);
      assert.match(await readFile(serverPaths(join(dir, 'plain')).peerCert, 'utf8'), /BEGIN CERTIFICATE/, 'the pair is made even without a peer link, so one can be turned on later');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with --session-domain, records it and makes the certificate cover the console and *.<domain>', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-init-'));
    try {
      const home = join(dir, 'home');
      const r = await initServer({ ...base(home), publicUrl: 'https://burrow.example.com:8443', sessionDomain: 'sessions.example.com' });
      assert.equal(r.config.sessionDomain, 'sessions.example.com');
      assert.deepEqual(r.warnings, []);
      const cert = new X509Certificate(await readFile(serverPaths(home).tlsCert));
      assert.ok(cert.checkHost('s1a2b3.sessions.example.com'), cert.subjectAltName ?? 'no SAN');
      assert.ok(cert.checkHost('burrow.example.com'), cert.subjectAltName ?? 'no SAN');
      assert.equal(cert.checkHost('other.example.com'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without a session domain, warns that sessions share the console\'s cookie jar', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-init-'));
    try {
      const r = await initServer(base(join(dir, 'home')));
      assert.equal(r.config.sessionDomain, undefined);
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0] ?? '', /share one cookie jar/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
