import type { Clock } from '../../shared/clock.js';
import type { NodeHandle } from '../cluster/nodeDirectory.js';

/** Resolves true once `conn` offers `service`, false after `ms` on `clock` or if it closes. */
export function waitForService(conn: NodeHandle, service: string, ms: number, clock: Clock): Promise<boolean> {
  if (conn.services.has(service)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clock.clearTimeout(timer);
      conn.off('services', onServices);
      conn.off('close', onClose);
      resolve(v);
    };
    const onServices = () => {
      if (conn.services.has(service)) done(true);
    };
    const onClose = () => done(false);
    const timer = clock.setTimeout(() => done(conn.services.has(service)), ms);
    conn.on('services', onServices);
    conn.once('close', onClose);
  });
}
