import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { FakeClock } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import type { StatusLine } from '../shared/protocol.js';
import { TunnelKeyRotation, type KeyRotator } from './tunnelKeyRotation.js';

/** A rotator whose key is always due; counts the keys it made. */
function alwaysDue(): KeyRotator & { prepared: number } {
  const r = {
    prepared: 0,
    due: () => Promise.resolve(true),
    prepare: () => Promise.resolve(`ssh-ed25519 key${++r.prepared}`),
    commit: () => Promise.resolve(false),
    abandon: () => undefined,
  };
  return r;
}

describe('TunnelKeyRotation', () => {
  it('after a refusal, stops offering a due key at every reply, but not when asked', async () => {
    const clock = new FakeClock(0);
    const rotator = alwaysDue();
    const refusals: string[] = [];
    const rotation = new TunnelKeyRotation(rotator, createLogger({ level: 'silent' }), () => clock.now(), (r) => refusals.push(r));
    const sent: StatusLine[] = [];
    const send = (l: StatusLine) => sent.push(l);
    const reply = { holdsWork: false, proposedMode: null };
    rotation.onReply(reply, send, () => undefined);
    await tick();
    assert.equal(sent.length, 1, 'a due key is offered');
    rotation.onReply({ ...reply, keyRefused: 'too soon' }, send, () => undefined);
    assert.deepEqual(refusals, ['too soon']);
    for (let i = 0; i < 5; i++) rotation.onReply(reply, send, () => undefined);
    await tick();
    assert.equal(sent.length, 1, 'no new key at each reply while quiet');
    rotation.onReply({ ...reply, rotateKeyNow: true }, send, () => undefined);
    await tick();
    assert.equal(sent.length, 2, 'an administrator asking goes through');
    rotation.onReply({ ...reply, keyRefused: 'too soon' }, send, () => undefined);
    rotation.check(send);
    await tick();
    assert.equal(sent.length, 3, 'the operator asking on the node goes through');
    rotation.onReply({ ...reply, keyRefused: 'too soon' }, send, () => undefined);
    clock.advance(10 * 60_000);
    rotation.onReply(reply, send, () => undefined);
    await tick();
    assert.equal(sent.length, 4, 'after the quiet time the due key is offered again');
  });
});
