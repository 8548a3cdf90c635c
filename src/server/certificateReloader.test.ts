import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { FakeClock } from '../shared/clock.js';
import { silentLogger } from '../shared/log.js';
import { certificateInService, type LoadedCertificate } from './certificateFiles.js';
import { CertificateReloader } from './certificateReloader.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

async function pair(): Promise<{ cert: string; key: string }> {
  const p = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate: new Date(NOW - 86_400_000), notAfterDate: new Date(NOW + 86_400_000 * 30) });
  return { cert: p.cert, key: p.private };
}

/** Lets the reload's file reads and audit write settle (real I/O, no timers). */
async function settled(r: CertificateReloader): Promise<void> {
  await r.reload('file-change').catch(() => undefined);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burrow-reload-'));
});
after(async () => {
  await rm(dir, { recursive: true });
});

/** A reloader over files in a fresh directory, with the watch in the test's hands. */
async function setUp(name: string) {
  const first = await pair();
  const certPath = join(dir, `${name}-cert.pem`);
  const keyPath = join(dir, `${name}-key.pem`);
  await writeFile(certPath, first.cert);
  await writeFile(keyPath, first.key);
  const clock = new FakeClock(NOW);
  const applied: LoadedCertificate[] = [];
  const audits: { result: string; detail: Record<string, unknown> }[] = [];
  let fire: () => void = () => undefined;
  const reloader = new CertificateReloader({
    certPath,
    keyPath,
    initial: certificateInService(first.cert, first.key),
    clock,
    log: silentLogger(),
    apply: (c) => applied.push(c),
    audit: async (result, detail) => {
      audits.push({ result, detail });
    },
    debounceMs: 500,
    watch: (_dir, onChange) => {
      fire = onChange;
      return () => {
        fire = () => undefined;
      };
    },
  });
  reloader.start();
  return { reloader, clock, applied, audits, certPath, keyPath, first, fire: () => fire() };
}

describe('CertificateReloader', () => {
  it('loads a new pair once the files are quiet for the debounce, and audits it', async () => {
    const t = await setUp('debounce');
    const next = await pair();
    await writeFile(t.keyPath, next.key);
    t.fire();
    t.clock.advance(300);
    await writeFile(t.certPath, next.cert);
    t.fire();
    t.clock.advance(300);
    assert.equal(t.applied.length, 0, 'nothing before the files are quiet');
    t.clock.advance(200);
    await settled(t.reloader);
    assert.equal(t.applied.length, 1);
    assert.equal(t.reloader.current.cert.trim(), next.cert.trim());
    assert.deepEqual(t.audits.map((a) => [a.result, a.detail.trigger]), [['ok', 'file-change']]);
    await t.reloader.close();
  });

  it('keeps the certificate in service when the new files are bad, and says why', async () => {
    const t = await setUp('bad');
    await writeFile(t.keyPath, (await pair()).key);
    assert.equal(await t.reloader.reload('sighup'), false);
    assert.equal(t.applied.length, 0);
    assert.equal(t.reloader.current.cert.trim(), t.first.cert.trim());
    assert.equal(t.audits[0]?.result, 'failed');
    assert.match(String(t.audits[0]?.detail.reason), /does not match/);
    await t.reloader.close();
  });

  it('does nothing when the files did not change', async () => {
    const t = await setUp('same');
    assert.equal(await t.reloader.reload('sighup'), false);
    assert.equal(t.applied.length, 0);
    assert.equal(t.audits.length, 0);
    await t.reloader.close();
  });

  it('stops watching on close', async () => {
    const t = await setUp('closed');
    await t.reloader.close();
    await writeFile(t.keyPath, (await pair()).key);
    t.fire();
    t.clock.advance(1_000);
    assert.equal(await t.reloader.reload('sighup'), false);
    assert.equal(t.audits.length, 0);
  });
});
