import type { KeyObject } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { auditHead } from '../store/auditStore.js';
import type { Queryable } from '../store/database.js';
import { parseCheckpointLines, signCheckpoint, type Checkpoint } from './auditCheckpoint.js';

/** Sends a checkpoint somewhere outside the server (a webhook); may fail, never blocks. */
export type CheckpointPost = (url: string, body: string) => Promise<void>;

/** Posts JSON with a short timeout; a non-2xx answer is a failure. */
export const postJson: CheckpointPost = async (url, body) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
};

/** What the checkpointer needs. */
export interface AuditCheckpointerDeps {
  db: Queryable;
  clock: Clock;
  log: Logger;
  signingKey: KeyObject;
  /** The append-only checkpoint file in the server home. */
  file: string;
  intervalMs: number;
  /** Also POST each checkpoint here as JSON. */
  webhookUrl?: string;
  post?: CheckpointPost;
}

/**
 * Writes signed checkpoints of the audit log outside the database, at an interval and on
 * demand (start, clean shutdown): a log line, a line in the checkpoint file, and optionally
 * a webhook. Each anchors the entries it covers: deleting them, or rewriting them and
 * recomputing the chain, no longer matches a checkpoint the insider cannot re-sign unseen.
 */
export class AuditCheckpointer {
  private timer: TimerHandle | undefined;
  private lastSeq = -1;
  private macFrom: number | null = null;
  private closed = false;
  private running: Promise<Checkpoint | undefined> = Promise.resolve(undefined);

  constructor(private readonly d: AuditCheckpointerDeps) {}

  /** Reads where the previous run left off, writes a checkpoint now, and then one per interval. */
  async start(): Promise<void> {
    const previous = await readCheckpoints(this.d.file);
    // Where sealing started never moves: later checkpoints repeat the first one's.
    this.macFrom = previous.find((c) => c.macFrom !== null)?.macFrom ?? null;
    this.lastSeq = previous.at(-1)?.seq ?? -1;
    await this.checkpoint();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.d.clock.setTimeout(() => {
      void this.checkpoint().finally(() => this.schedule());
    }, this.d.intervalMs);
  }

  /** Signs and writes a checkpoint if entries were added since the last one; one at a time. */
  checkpoint(): Promise<Checkpoint | undefined> {
    this.running = this.running.then(() => this.write()).catch((err: Error) => {
      this.d.log.error({ err: err.message }, 'could not write an audit checkpoint');
      return undefined;
    });
    return this.running;
  }

  private async write(): Promise<Checkpoint | undefined> {
    const h = await auditHead(this.d.db);
    if (h.seq === this.lastSeq) return undefined;
    if (h.seq < this.lastSeq) this.d.log.error({ seq: h.seq, checkpointed: this.lastSeq }, 'the audit log has fewer entries than its last checkpoint: entries were deleted');
    this.macFrom ??= h.macFrom;
    const c = signCheckpoint(this.d.signingKey, { seq: h.seq, head: h.head, at: this.d.clock.now(), macFrom: this.macFrom });
    await appendFile(this.d.file, `${JSON.stringify(c)}\n`, { mode: 0o600 });
    this.lastSeq = c.seq;
    this.d.log.info({ auditCheckpoint: c }, 'audit checkpoint');
    const url = this.d.webhookUrl;
    if (url) {
      // Never awaited: a slow or dead webhook must not hold up the log or shutdown.
      void (this.d.post ?? postJson)(url, JSON.stringify({ type: 'burrow.audit.checkpoint', ...c })).catch((err: Error) =>
        this.d.log.warn({ err: err.message, seq: c.seq }, 'audit checkpoint webhook failed'),
      );
    }
    return c;
  }

  /** Stops the interval and writes a last checkpoint covering everything written so far. */
  async close(): Promise<void> {
    if (this.closed) return this.running.then(() => undefined);
    this.closed = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    await this.checkpoint();
  }
}

/** The checkpoints in a checkpoint file (none if it does not exist yet). */
export async function readCheckpoints(file: string): Promise<Checkpoint[]> {
  try {
    return parseCheckpointLines(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
