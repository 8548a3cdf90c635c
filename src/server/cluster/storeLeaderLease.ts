import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { SessionLock, SessionLocks } from '../store/database.js';
import type { LeaderLease, LeadershipHandlers } from './leaderLease.js';

/** Where the lease stands on this instance. */
export type LeaseState = 'initial' | 'following' | 'leading' | 'closed';

const MOVES: Record<LeaseState, readonly LeaseState[]> = {
  initial: ['following', 'leading', 'closed'],
  following: ['leading', 'closed'],
  leading: ['following', 'closed'],
  closed: [],
};

/** Whether the lease may move from `from` to `to` (once closed, nowhere). */
export function leaseMoveAllowed(from: LeaseState, to: LeaseState): boolean {
  return MOVES[from].includes(to);
}

/** What the lease needs. */
export interface StoreLeaderLeaseDeps {
  locks: SessionLocks;
  /** The lock's number: one per kind of leader work. */
  key: number;
  /** Names this instance's lock connection for operators. */
  name: string;
  clock: Clock;
  log: Logger;
  /**
   * How often a follower tries to take the lock, and the leader checks it still holds it
   * (2 s unless told). A dead leader's lock is free as soon as the database sees its
   * connection end, so a follower takes over within about this long of that.
   */
  retryMs?: number;
}

/**
 * A leader lease on a lock in the store that dies with its holder's connection (a
 * PostgreSQL session advisory lock): whoever takes it leads; the others try again every
 * `retryMs`. The leader checks its connection on the same beat and stands down the moment
 * it is gone, since the lock went with it and another instance may already hold it.
 * Every step runs one at a time, so elected and deposed never overlap.
 */
export class StoreLeaderLease implements LeaderLease {
  private current: LeaseState = 'initial';
  private handlers: LeadershipHandlers | undefined;
  private lock: SessionLock | undefined;
  private timer: TimerHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly retryMs: number;

  constructor(private readonly deps: StoreLeaderLeaseDeps) {
    this.retryMs = deps.retryMs ?? 2_000;
  }

  /** Where the lease stands. */
  get state(): LeaseState {
    return this.current;
  }

  get leading(): boolean {
    return this.current === 'leading';
  }

  async start(handlers: LeadershipHandlers): Promise<void> {
    this.handlers = handlers;
    await this.serial(() => this.attempt());
  }

  close(): Promise<void> {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    return this.serial(async () => {
      if (this.current === 'closed') return;
      if (this.current === 'leading') await this.standDown('this instance stops');
      this.transition('closed');
      await this.dropLock();
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err: Error) => this.deps.log.warn({ err: err.message }, 'leader lease step failed'));
    return this.queue;
  }

  private transition(to: LeaseState): void {
    if (!leaseMoveAllowed(this.current, to)) throw new Error(`leader lease: illegal move ${this.current} -> ${to}`);
    this.deps.log.debug({ from: this.current, to }, 'leader lease state');
    this.current = to;
  }

  /** One beat: take the lock (following) or check it (leading), then the next beat. */
  private async attempt(): Promise<void> {
    if (this.current === 'closed') return;
    try {
      if (this.current === 'leading') {
        if (!(await this.lock?.check())) await this.lose('its lock connection is gone');
      } else {
        this.lock ??= await this.deps.locks.open(this.deps.key, { name: this.deps.name, lost: (err) => void this.serial(() => this.lose(err.message)) });
        if (await this.lock.tryTake()) await this.elect();
        else if (this.current === 'initial') this.transition('following');
      }
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message }, 'leader lease: the store is not answering');
      if (this.current === 'leading') await this.lose((err as Error).message);
      else await this.dropLock();
      if (this.current === 'initial') this.transition('following');
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.current === 'closed') return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.serial(() => this.attempt());
    }, this.retryMs);
  }

  private async elect(): Promise<void> {
    this.transition('leading');
    this.deps.log.info({ lease: this.deps.name }, 'this instance took the leader lease');
    try {
      await this.handlers?.elected();
    } catch (err) {
      // Leading without the work running would leave the deployment with no leader at all.
      this.deps.log.warn({ err: (err as Error).message }, 'could not start the leader work; giving the lease up');
      await this.standDown('its work failed to start');
      this.transition('following');
      await this.dropLock();
    }
  }

  /** The lock is gone with its connection: stop leading at once, and follow with a new connection. */
  private async lose(why: string): Promise<void> {
    await this.dropLock();
    if (this.current !== 'leading') return;
    this.deps.log.warn({ why }, 'this instance lost the leader lease');
    await this.standDown(why);
    this.transition('following');
  }

  private async standDown(why: string): Promise<void> {
    try {
      await this.handlers?.deposed();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, why }, 'the leader work did not stop cleanly');
    }
  }

  private async dropLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.close();
  }
}
