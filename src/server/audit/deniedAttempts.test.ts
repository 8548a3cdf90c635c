import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import type { AuditEntry } from '../store/auditStore.js';
import { DeniedAttempts } from './deniedAttempts.js';

function setup(o: { perWindow?: number; maxKeys?: number } = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const written: (AuditEntry & { at: number })[] = [];
  const limiter = new DeniedAttempts({ clock, log: silentLogger(), write: async (e, at) => void written.push({ ...e, at }), perWindow: o.perWindow ?? 3, windowMs: 60_000, ...(o.maxKeys ? { maxKeys: o.maxKeys } : {}) });
  return { clock, written, limiter };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('denied attempts', () => {
  it('writes the first few per actor and action, then one summary at the end of the window', async () => {
    const { clock, written, limiter } = setup();
    for (let i = 0; i < 50; i++) limiter.denied({ actor: 'usr_eve', action: 'api.denied', target: 'POST /v1/tokens', sourceIp: '10.0.0.9' });
    await flush();
    assert.equal(written.length, 3);
    assert.ok(written.every((e) => e.result === 'denied' && e.actor === 'usr_eve'));
    clock.advance(60_000);
    await flush();
    assert.equal(written.length, 4);
    assert.deepEqual(written[3]?.detail, { summary: true, notRecorded: 47, since: new Date(1_700_000_000_000).toISOString(), windowMs: 60_000 });
    assert.equal(written[3]?.action, 'api.denied');
    // A new window writes again.
    limiter.denied({ actor: 'usr_eve', action: 'api.denied', target: 'POST /v1/tokens' });
    await flush();
    assert.equal(written.length, 5);
    assert.equal(written[4]?.detail, undefined);
  });

  it('writes no summary when nothing was left out', async () => {
    const { clock, written, limiter } = setup();
    limiter.denied({ actor: 'usr_eve', action: 'api.denied' });
    clock.advance(120_000);
    await flush();
    assert.equal(written.length, 1);
  });

  it('counts each actor and action apart, and anonymous callers by address', async () => {
    const { written, limiter } = setup({ perWindow: 1 });
    limiter.denied({ actor: 'usr_eve', action: 'api.denied' });
    limiter.denied({ actor: 'usr_eve', action: 'session.deny' });
    limiter.denied({ actor: 'usr_bob', action: 'api.denied' });
    limiter.denied({ actor: 'anonymous', action: 'tunnel.auth', sourceIp: '10.0.0.1' });
    limiter.denied({ actor: 'anonymous', action: 'tunnel.auth', sourceIp: '10.0.0.2' });
    limiter.denied({ actor: 'anonymous', action: 'tunnel.auth', sourceIp: '10.0.0.2' });
    await flush();
    assert.equal(written.length, 5);
  });

  it('bounds what it tracks: past maxKeys, new actors share one overflow summary', async () => {
    const { clock, written, limiter } = setup({ perWindow: 1, maxKeys: 2 });
    for (let i = 0; i < 100; i++) limiter.denied({ actor: 'anonymous', action: 'tunnel.auth', sourceIp: `10.0.${i}.1` });
    await flush();
    assert.equal(written.length, 2);
    clock.advance(60_000);
    await flush();
    assert.equal(written.length, 3);
    assert.equal(written[2]?.action, 'audit.denied.overflow');
    assert.equal((written[2]?.detail as { notRecorded: number }).notRecorded, 98);
  });

  it('writes open summaries on close', async () => {
    const { written, limiter } = setup({ perWindow: 1 });
    limiter.denied({ actor: 'usr_eve', action: 'api.denied' });
    limiter.denied({ actor: 'usr_eve', action: 'api.denied' });
    await limiter.close();
    assert.equal(written.length, 2);
    assert.equal((written[1]?.detail as { notRecorded: number }).notRecorded, 1);
  });
});
