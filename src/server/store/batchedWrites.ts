import type { Database, Queryable } from './database.js';

interface Pending {
  work: (tx: Queryable) => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Runs small write transactions together. Writes take turns (SQLite's one writer, and on
 * PostgreSQL the lock that keeps the audit chain linear across instances), so after a
 * restart thousands of node connects, each its own transaction, would queue one commit
 * after another. Here, what arrives while a transaction runs goes into the next one, whole:
 * alone when the server is quiet (no added wait), hundreds together in a reconnect storm.
 * A batch that fails is run again one write at a time, so one bad write loses no other.
 */
export class BatchedWrites {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  /** Transactions committed, for tests and figures. */
  transactions = 0;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 256,
  ) {}

  /** Runs `work` in a transaction, maybe with other writes; resolves once it is committed. */
  run(work: (tx: Queryable) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every write handed over so far is committed or failed. */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Yield once, so writes handed over in the same turn go in the first batch.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.db.transaction(async (tx) => {
            for (const p of batch) await p.work(tx);
          });
          this.transactions += 1;
          for (const p of batch) p.resolve();
        } catch (err) {
          if (batch.length === 1) batch[0]?.reject(err);
          else for (const p of batch) await this.db.transaction(p.work).then(() => ((this.transactions += 1), p.resolve()), p.reject);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}
