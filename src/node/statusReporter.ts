import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { readJsonLines, writeJsonLine } from '../shared/jsonLines.js';
import type { Logger } from '../shared/log.js';
import { STATUS_LINE_MAX, statusReplySchema, type NodeStatusReport, type StatusLine, type StatusReply } from '../shared/protocol.js';

/** Dependencies of the reporter. */
export interface StatusReporterDeps {
  clock: Clock;
  log: Logger;
  collect: () => Promise<NodeStatusReport>;
  /** Time between full reports. */
  reportEveryMs: number;
  /** Time between "do you hold work?" polls; none when undefined (always-on). */
  pollEveryMs?: number;
  onReply: (r: StatusReply) => void;
}

/**
 * The agent's end of the status channel: a report as soon as the channel opens (that is
 * the check-in's report), then one every `reportEveryMs`, and light polls in between
 * so an on-demand node learns promptly whether the server still holds work for it.
 */
export class StatusReporter {
  private reportTimer?: TimerHandle;
  private pollTimer?: TimerHandle;
  private closed = false;

  constructor(
    private readonly channel: Duplex,
    private readonly deps: StatusReporterDeps,
  ) {
    channel.on('error', (err) => deps.log.debug({ err: err.message }, 'status channel error'));
    channel.once('close', () => this.close());
    readJsonLines(channel, STATUS_LINE_MAX, (value) => {
      const reply = statusReplySchema.safeParse(value);
      if (reply.success) deps.onReply(reply.data);
      else deps.log.warn('ignored a malformed status reply');
    });
    this.report();
    if (deps.pollEveryMs !== undefined) this.schedulePoll(deps.pollEveryMs);
  }

  private report(): void {
    if (this.closed) return;
    this.deps
      .collect()
      .then((report) => this.send({ report }))
      .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'could not collect status'))
      .finally(() => {
        if (!this.closed) this.reportTimer = this.deps.clock.setTimeout(() => this.report(), this.deps.reportEveryMs);
      });
  }

  private schedulePoll(ms: number): void {
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.send({ poll: true });
      if (!this.closed) this.schedulePoll(ms);
    }, ms);
  }

  /** Sends one line now (reports and polls are sent by the reporter itself). */
  send(line: StatusLine): void {
    if (!this.closed) writeJsonLine(this.channel, line);
  }

  /** Stops reporting and closes the channel; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reportTimer) this.deps.clock.clearTimeout(this.reportTimer);
    if (this.pollTimer) this.deps.clock.clearTimeout(this.pollTimer);
    this.channel.destroy();
  }
}
