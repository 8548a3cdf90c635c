import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FakeClock } from '../../shared/clock.js';
import type { JobRecord } from '../store/jobStore.js';
import { deliverJob } from './deliverJob.js';

const job: JobRecord = {
  id: 'job_t', kind: 'command', command: 'sleep 600', path: null, mode: null, payload: null, sha256: null, signature: null, manifest: null,
  timeoutMs: 60_000, stopAfterFailures: null, createdBy: null, groupId: 'root', createdAt: 0, expiresAt: 3_600_000,
};

describe('deliverJob', () => {
  it('gives up on a silent node when the injected clock passes the job timeout plus grace', async () => {
    const clock = new FakeClock();
    const channel = new PassThrough();
    const result = deliverJob({ openService: () => Promise.resolve(channel) }, job, clock);
    let settled = false;
    void result.then(() => {
      settled = true;
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    clock.advance(job.timeoutMs);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'gave up before the deadline');
    clock.advance(15_000);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(settled, true, 'still waiting after the deadline passed on the injected clock');
    assert.equal((await result).error, 'the node did not answer in time');
    assert.equal(clock.pending, 0);
  });
});
