import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { FakeClock } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import type { NodeStatusReport, StatusReply } from '../shared/protocol.js';
import { StatusReporter } from './statusReporter.js';

const log = createLogger({ level: 'silent' });
const report: NodeStatusReport = { uptimeSeconds: 1, load: [0, 0, 0], memory: { totalBytes: 1, freeBytes: 1 }, disk: null, agentVersion: '0.1.0', services: {}, mode: 'on-demand', nextCheckInAt: null };

/** The agent's end of a channel, and what the server end reads and writes. */
function channel() {
  const lines: unknown[] = [];
  const agentEnd = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as unknown));
      cb();
    },
  });
  return { agentEnd, lines, reply: (r: unknown) => agentEnd.push(`${typeof r === 'string' ? r : JSON.stringify(r)}\n`) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StatusReporter', () => {
  it('reports at once, then every interval, and polls in between', async () => {
    const clock = new FakeClock();
    const c = channel();
    const r = new StatusReporter(c.agentEnd, { clock, log, collect: async () => report, reportEveryMs: 10_000, pollEveryMs: 3_000, onReply: () => undefined });
    await tick();
    assert.deepEqual(c.lines, [{ report }]);
    clock.advance(3_000);
    await tick();
    assert.deepEqual(c.lines.at(-1), { poll: true });
    clock.advance(7_000);
    await tick();
    await tick();
    assert.equal(c.lines.filter((l) => 'report' in (l as object)).length, 2);
    r.close();
    r.close();
    assert.equal(clock.pending, 0);
  });

  it('hands valid replies on and ignores malformed ones', async () => {
    const replies: StatusReply[] = [];
    const c = channel();
    const r = new StatusReporter(c.agentEnd, { clock: new FakeClock(), log, collect: async () => report, reportEveryMs: 10_000, onReply: (x) => replies.push(x) });
    c.reply({ holdsWork: 'yes' });
    c.reply({ holdsWork: true, proposedMode: null });
    await tick();
    assert.deepEqual(replies, [{ holdsWork: true, proposedMode: null }]);
    r.close();
  });

  it('a line that is not JSON ends the channel', async () => {
    const c = channel();
    let closed = false;
    c.agentEnd.once('close', () => {
      closed = true;
    });
    const r = new StatusReporter(c.agentEnd, { clock: new FakeClock(), log, collect: async () => report, reportEveryMs: 10_000, onReply: () => undefined });
    c.agentEnd.on('error', () => undefined);
    c.reply('not json');
    // The line is read and the channel closed within a few turns of the event loop, or never.
    for (let i = 0; i < 20 && !closed; i++) await tick();
    r.close();
    assert.ok(closed, 'the channel is still open after a line that is not JSON');
  });
});
