import { randomInt } from 'node:crypto';
import type { Server } from 'node:net';
import getPort from 'get-port';
import { BurrowError } from '../../shared/errors.js';

/** Where and how a session port is chosen. */
export interface PortPickOptions {
  range: readonly [number, number];
  host: string;
  /** Ports already held by this process; never offered again. */
  inUse?: ReadonlySet<number>;
  /** How many candidate batches to try before giving up. */
  attempts?: number;
  /** Random integer in [min, max]; injectable for tests. */
  randomInt?: (min: number, max: number) => number;
}

const BATCH = 32;

/** A batch of distinct random ports from the range, so the next port cannot be guessed. */
export function randomCandidates(opts: PortPickOptions): number[] {
  const [lo, hi] = opts.range;
  const rand = opts.randomInt ?? ((min: number, max: number) => randomInt(min, max + 1));
  const size = Math.min(BATCH, hi - lo + 1);
  const picked = new Set<number>();
  // Bounded loop: in a nearly full range, give up on distinctness rather than spin.
  for (let i = 0; picked.size < size && i < size * 8; i++) {
    const p = rand(lo, hi);
    if (!opts.inUse?.has(p)) picked.add(p);
  }
  return [...picked];
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

/**
 * Binds `server` to a random free port of the range. get-port checks candidates, but the
 * port can still be taken between its check and our bind (another process, or Linux
 * handing it out as an ephemeral port), so EADDRINUSE moves on to other candidates.
 */
export async function listenOnRandomPort(server: Server, opts: PortPickOptions): Promise<number> {
  const attempts = opts.attempts ?? 16;
  const [lo, hi] = opts.range;
  for (let i = 0; i < attempts; i++) {
    const candidates = randomCandidates(opts);
    if (candidates.length === 0) break;
    // get-port falls back to any free port when no candidate is free; that is out of range.
    const port = await getPort({ port: candidates, host: opts.host });
    if (port < lo || port > hi) continue;
    try {
      await listen(server, port, opts.host);
      return port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new BurrowError('PORT_RANGE_EXHAUSTED', `No free session port in ${lo}-${hi}; close some sessions or widen the range.`);
}
