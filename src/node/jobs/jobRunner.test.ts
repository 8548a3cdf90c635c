import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { silentLogger } from '../../shared/log.js';
import type { JobResult, JobWire } from '../../shared/protocol.js';
import { JobRunner } from './jobRunner.js';
import { UsedManifests } from './usedManifests.js';

/** A channel as the runner sees it: the job header comes in, the one answer line goes out. */
function channelWith(header: JobWire): { channel: Duplex; answer: Promise<JobResult> } {
  let out = '';
  let done!: (r: JobResult) => void;
  const answer = new Promise<JobResult>((resolve) => (done = resolve));
  const channel = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
    final(cb) {
      done(JSON.parse(out) as JobResult);
      cb();
    },
  });
  channel.push(`${JSON.stringify(header)}\n`);
  return { channel, answer };
}

describe('JobRunner under customer approval', () => {
  const runner = new JobRunner({
    signing: { updateKey: undefined, require: 'updates', nodeId: 'nod_1' },
    usedManifests: new UsedManifests(join(tmpdir(), 'burrow-unused-manifests.json')),
    now: () => 0,
    env: { PATH: '/usr/bin:/bin' },
    log: silentLogger(),
  });
  const job = (id: string): JobWire => ({ id, kind: 'command', command: 'echo ran', size: 0, timeoutMs: 10_000 });

  it('refuses a job other than the one approved on site, on a channel opened under that approval', async () => {
    const { channel, answer } = channelWith(job('job_other'));
    runner.handle(channel, 'job_approved');
    const r = await answer;
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /approval on site was for job job_approved, not job_other/);
  });

  it('runs the job that was approved', async () => {
    const { channel, answer } = channelWith(job('job_approved'));
    runner.handle(channel, 'job_approved');
    const r = await answer;
    assert.equal(r.ok, true, r.error ?? '');
    assert.equal(r.stdout, 'ran\n');
  });
});
