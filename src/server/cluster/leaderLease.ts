/** What the holder of a lease does when it takes it and when it loses it. */
export interface LeadershipHandlers {
  /** This instance now leads: start the work only one instance may do. */
  elected(): Promise<void>;
  /** This instance no longer leads (or stops): stop that work, and wait for it. */
  deposed(): Promise<void>;
}

/**
 * Work that exactly one instance of a deployment does at a time (alert evaluation and
 * delivery: each instance running it would send each alert once per instance). The lease
 * says which instance that is; when its holder dies another takes over within a bounded time.
 */
export interface LeaderLease {
  /** Starts competing for the lease; resolves after the first attempt (elected or not). */
  start(handlers: LeadershipHandlers): Promise<void>;
  /** Whether this instance leads now. */
  readonly leading: boolean;
  /** Gives the lease up (deposed runs first if this instance led) and stops competing. Idempotent. */
  close(): Promise<void>;
}

/** The lease of a single server process: it always leads. */
export class SoleLeader implements LeaderLease {
  private handlers: LeadershipHandlers | undefined;
  private closing: Promise<void> | undefined;

  get leading(): boolean {
    return this.handlers !== undefined && this.closing === undefined;
  }

  async start(handlers: LeadershipHandlers): Promise<void> {
    this.handlers = handlers;
    await handlers.elected();
  }

  close(): Promise<void> {
    this.closing ??= this.handlers?.deposed() ?? Promise.resolve();
    return this.closing;
  }
}
