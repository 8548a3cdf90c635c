import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { checkCertificate, loadCertificate } from './certificateFiles.js';
import { pinOfPem } from '../shared/tlsPin.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

/** A certificate valid from `from` to `to` (ms), self-signed unless `issuer` (a CA's PEMs) signs it. */
async function cert(o: { from?: number; to?: number; ca?: boolean; issuer?: { cert: string; key: string } } = {}): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: o.ca ? 'Test CA' : 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(o.from ?? NOW - DAY),
    notAfterDate: new Date(o.to ?? NOW + 30 * DAY),
    extensions: [{ name: 'basicConstraints', cA: o.ca ?? false }],
    ...(o.issuer ? { ca: o.issuer } : {}),
  });
  return { cert: pems.cert, key: pems.private };
}

describe('checkCertificate', () => {
  it('takes a chain, leaf first, whose key matches the leaf, and pins the leaf', async () => {
    const ca = await cert({ ca: true });
    const leaf = await cert({ issuer: ca });
    const c = checkCertificate(`${leaf.cert}\n${ca.cert}`, leaf.key, NOW);
    assert.equal(c.pin, pinOfPem(leaf.cert));
    assert.equal(c.cert.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.ok(Math.abs(c.notAfter - (NOW + 30 * DAY)) < 1000);
  });

  it('refuses each way a pair can be wrong, in one sentence', async () => {
    const good = await cert();
    const other = await cert();
    const ca = await cert({ ca: true });
    const leaf = await cert({ issuer: ca });
    const cases: [string, string, RegExp][] = [
      ['', good.key, /holds no certificate/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', good.key, /cannot be parsed/],
      [good.cert, 'not a key', /no private key/],
      [good.cert, other.key, /does not match/],
      [`${ca.cert}\n${leaf.cert}`, leaf.key, /does not match/],
      [`${leaf.cert}\n${other.cert}`, leaf.key, /out of order/],
    ];
    for (const [c, k, message] of cases) {
      assert.throws(() => checkCertificate(c, k, NOW), (err: Error & { code?: string }) => err.code === 'VALIDATION' && message.test(err.message) && !err.message.includes('\n'));
    }
    const expired = await cert({ from: NOW - 60 * DAY, to: NOW - DAY });
    assert.throws(() => checkCertificate(expired.cert, expired.key, NOW), /expired on/);
    const early = await cert({ from: NOW + DAY, to: NOW + 60 * DAY });
    assert.throws(() => checkCertificate(early.cert, early.key, NOW), /not valid before/);
  });

  it('names a file it cannot read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'burrow-cert-'));
    try {
      const good = await cert();
      await writeFile(join(dir, 'key.pem'), good.key);
      await assert.rejects(loadCertificate(join(dir, 'missing.pem'), join(dir, 'key.pem'), NOW), /certificate file .*missing\.pem cannot be read \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
