import type { Duplex } from 'node:stream';
import type { Clock } from '../../shared/clock.js';

/** How long a connection refused mid-head may go on sending before it is cut. */
const LINGER_MS = 5_000;

/**
 * Ends a browser connection once what is queued for it is written. Like Node's own HTTP
 * server it does not wait for the browser's side to close too: a peer that never reads
 * would otherwise hold the socket for ever.
 */
export function endOnceWritten(client: Duplex): void {
  client.end();
  if (client.writableFinished) client.destroy();
  else client.once('finish', () => client.destroy());
}

/**
 * Ends a browser connection after an answer given before its head was all read. Closing
 * with the rest of the head unread makes the kernel answer it with a reset, and a browser
 * that gets the reset before reading our answer shows a connection error instead (a 431
 * page never arrives). So the rest is read and dropped until the browser closes its side,
 * or for LINGER_MS at most.
 */
export function lingerThenEnd(client: Duplex, clock: Clock): void {
  client.end();
  client.resume();
  const timer = clock.setTimeout(() => client.destroy(), LINGER_MS);
  client.once('close', () => clock.clearTimeout(timer));
}
