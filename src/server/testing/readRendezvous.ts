import type { Queryable } from '../store/database.js';

/**
 * Makes a race certain for a test: two parties' reads whose SQL matches `pattern` are held
 * until the other party reads too, so both see the state from before either wrote. A
 * read-then-write check then lets both through every time; a single conditional write has
 * no read to hold and lets one through. Reads inside transactions are not held.
 */
export class ReadRendezvous {
  private waiting: { party: number; go: () => void } | undefined;
  private parties = 0;
  private holding = true;

  constructor(private readonly pattern: RegExp) {}

  /** `db` as one party sees it: its matching reads wait for the other party's next one. */
  party<T extends Queryable>(db: T): T {
    const me = ++this.parties;
    return new Proxy(db, {
      get: (target, prop) => {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const fn = value as (...args: unknown[]) => unknown;
        if (prop !== 'get' && prop !== 'all') return fn.bind(target);
        return async (sql: string, params?: unknown) => {
          if (this.holding && this.pattern.test(sql)) await this.meet(me);
          return fn.call(target, sql, params);
        };
      },
    });
  }

  /** Holds no read from now on, and lets a party still waiting go on (before closing the parties). */
  release(): void {
    this.holding = false;
    const w = this.waiting;
    this.waiting = undefined;
    w?.go();
  }

  private meet(party: number): Promise<void> {
    const w = this.waiting;
    if (w && w.party !== party) {
      this.waiting = undefined;
      w.go();
      return Promise.resolve();
    }
    return new Promise((go) => {
      this.waiting = { party, go };
    });
  }
}
