import type { Queryable } from '../store/database.js';
import type { StoreOp } from './serverMetrics.js';

/** Where a timed store operation is reported, with its duration in seconds. */
export type StoreTimer = (op: StoreOp, seconds: number) => void;

/** A store that can run a transaction: whichever engine is behind the Queryable interface. */
interface Transactional extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

const TIMED: ReadonlySet<PropertyKey> = new Set<StoreOp>(['run', 'get', 'all', 'exec']);

/**
 * Times every statement and transaction of a store, at the Queryable interface so any
 * engine behind it (SQLite, PostgreSQL) is measured the same way. The store keeps its own
 * type: callers see no difference; statements inside a transaction are timed too.
 */
export function instrumentStore<S extends Queryable>(store: S, observe: StoreTimer, now: () => number = performanceNow): S {
  const timed = <T>(op: StoreOp, work: () => Promise<T>): Promise<T> => {
    const start = now();
    return work().finally(() => observe(op, (now() - start) / 1000));
  };
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      if (TIMED.has(prop)) return (...args: unknown[]) => timed(prop as StoreOp, () => method.apply(target, args));
      if (prop === 'transaction') {
        return <T>(fn: (tx: Queryable) => Promise<T>) =>
          timed('transaction', () => (target as unknown as Transactional).transaction((tx) => fn(instrumentStore(tx, observe, now))));
      }
      return method.bind(target);
    },
  });
}

function performanceNow(): number {
  return performance.now();
}
