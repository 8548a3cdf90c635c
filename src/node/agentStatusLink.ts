import type { Duplex } from 'node:stream';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { NodeStatusReport, StatusLine, StatusReply } from '../shared/protocol.js';
import { StatusReporter } from './statusReporter.js';
import type { TunnelKeyRotation } from './tunnelKeyRotation.js';

/** What the agent's status link needs. */
export interface AgentStatusLinkDeps {
  clock: Clock;
  log: Logger;
  collect: () => Promise<NodeStatusReport>;
  reportEveryMs: number;
  pollEveryMs?: number;
  /** Looks at each reply first: true when the connection is being dropped, so the reply is not acted on. */
  screen: (r: StatusReply) => boolean;
  /** Told of every reply acted on; `send` answers on the channel. */
  onServerReply?: (r: StatusReply, send: (line: StatusLine) => void) => void;
  rotation: TunnelKeyRotation;
  /** Ends the tunnel's connection (a rotation that needs the new key). */
  drop: (why: string) => void;
}

/**
 * The agent's side of the status channel of the connection up now: the reporter, what the
 * server's last reply said about held work, reports sent on demand and waiting for their
 * answer, and the key rotation that rides the channel. One per agent, reopened with each
 * connection.
 */
export class AgentStatusLink {
  private reporter?: StatusReporter;
  private workHeld = false;
  /** Called with the next reply (reportNow()). */
  private readonly replyWaiters = new Set<() => void>();

  constructor(private readonly deps: AgentStatusLinkDeps) {}

  /** Whether the server said, in its last reply on this connection, that it holds work for the node. */
  get holdsWork(): boolean {
    return this.workHeld;
  }

  /** Serves the channel the server opened on a new connection (replacing any before it). */
  open(channel: Duplex): void {
    const d = this.deps;
    this.reporter?.close();
    const send = (line: StatusLine) => this.reporter?.send(line);
    this.reporter = new StatusReporter(channel, {
      clock: d.clock,
      log: d.log,
      collect: d.collect,
      reportEveryMs: d.reportEveryMs,
      ...(d.pollEveryMs !== undefined ? { pollEveryMs: d.pollEveryMs } : {}),
      onReply: (r) => {
        if (d.screen(r)) return;
        this.workHeld = r.holdsWork;
        for (const w of [...this.replyWaiters]) w();
        d.onServerReply?.(r, send);
        d.rotation.onReply(r, send, d.drop);
      },
    });
  }

  /** The connection ended: no channel, no work held. */
  close(): void {
    this.reporter?.close();
    this.reporter = undefined;
    this.workHeld = false;
  }

  /** Sends a report made by `collect` and waits up to `ms` for the answer; false without a channel or an answer. */
  async reportNow(collect: () => Promise<NodeStatusReport>, ms: number): Promise<boolean> {
    const reporter = this.reporter;
    if (!reporter) return false;
    const report = await collect();
    const { clock } = this.deps;
    return new Promise<boolean>((resolve) => {
      const done = (answered: boolean) => {
        clock.clearTimeout(timer);
        this.replyWaiters.delete(answer);
        resolve(answered);
      };
      const answer = () => done(true);
      const timer = clock.setTimeout(() => done(false), ms);
      this.replyWaiters.add(answer);
      reporter.send({ report });
    });
  }

  /** Sends a line now; false without a channel. */
  send(line: StatusLine): boolean {
    if (!this.reporter) return false;
    this.reporter.send(line);
    return true;
  }

  /** Starts a key rotation now if one is due. */
  checkKeyRotation(): void {
    const reporter = this.reporter;
    if (reporter) this.deps.rotation.check((line) => reporter.send(line));
  }
}
