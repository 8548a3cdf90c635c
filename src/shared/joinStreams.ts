import type { Duplex } from 'node:stream';

/**
 * Pipes two byte streams into each other (a relayed TCP connection, an SSH channel).
 * When one side ends cleanly the other is ended after what is queued for it has been
 * written, and only then freed: destroying it at once would cut off the tail of a large
 * download still waiting on TCP or SSH window space. An error or an abrupt close on
 * either side destroys both.
 */
export function joinStreams(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const destroyBoth = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', destroyBoth);
  b.on('error', destroyBoth);
  a.once('close', () => afterClose(a, b));
  b.once('close', () => afterClose(b, a));
}

function afterClose(closed: Duplex, other: Duplex): void {
  if (other.destroyed) return;
  // Closed without its end (reset, destroyed): nothing more is coming, drop the other too.
  if (!closed.readableEnded) {
    other.destroy();
    return;
  }
  // pipe() has ended `other`; once that write side has drained, nothing can flow any more.
  if (other.writableFinished) other.destroy();
  else other.once('finish', () => other.destroy());
}
