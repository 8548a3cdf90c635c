import type { Duplex } from 'node:stream';

/** An ssh2 channel: besides being a stream, it can send EOF alone. */
interface EofCapable {
  eof(): void;
}

function canSendEof(s: Duplex): s is Duplex & EofCapable {
  return typeof (s as Partial<EofCapable>).eof === 'function';
}

/**
 * Joins a connection (a session port's client, or a peer instance relaying one) to a
 * node's channel, as `joinStreams` does, except for the peer's half-close. ssh2 closes a server-side channel outright when its writable side
 * ends, which would cut off what the node still has to send after the peer finished (a
 * client that sends its request and then shuts down its side); so the peer's end reaches
 * the node as an SSH EOF alone, and the channel closes when the node closes it or when the
 * peer's connection is gone. An error or an abrupt close on either side destroys both.
 */
export function relayToChannel(socket: Duplex, channel: Duplex): void {
  channel.pipe(socket);
  socket.pipe(channel, { end: false });
  // Resolves once the peer's end went out to the node (after everything written before it).
  let peerEndSent: Promise<void> | undefined;
  socket.once('end', () => {
    peerEndSent = new Promise((resolve) => {
      if (!canSendEof(channel)) {
        channel.end(resolve);
        return;
      }
      // An empty write completes only once every write queued before it (waiting for SSH
      // window) went out, and the EOF must follow them.
      channel.write(Buffer.alloc(0), () => {
        channel.eof();
        resolve();
      });
    });
  });
  const destroyBoth = () => {
    socket.destroy();
    channel.destroy();
  };
  socket.on('error', destroyBoth);
  channel.on('error', destroyBoth);
  socket.once('close', () => {
    if (channel.destroyed) return;
    // Cut without its end: nothing more is coming, drop the channel too.
    if (!socket.readableEnded || !peerEndSent) {
      channel.destroy();
      return;
    }
    // Ended cleanly both ways: close the channel once what the peer sent has reached it.
    void peerEndSent.then(() => channel.destroy());
  });
  channel.once('close', () => {
    if (socket.destroyed) return;
    // Closed without its end: nothing more is coming, drop the peer too.
    if (!channel.readableEnded) {
      socket.destroy();
      return;
    }
    // pipe() has ended the peer's side; free it once what is queued for it is written.
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  });
}
