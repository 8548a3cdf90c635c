import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { relayToChannel } from '../cluster/relayToChannel.js';
import type { Logger } from '../../shared/log.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';

/** The listener on one session port, whatever it speaks. */
export interface SessionListener {
  readonly server: Server;
  /** Bytes from the client towards the node so far. */
  readonly bytesUp: number;
  /** Bytes from the node towards the client so far. */
  readonly bytesDown: number;
  /** Stops listening and cuts every connection; resolves when the port is free. */
  close(): Promise<void>;
  /** For a listener that terminates TLS itself: serves new connections with a renewed certificate. */
  setCertificate?(pair: { cert: string; key: string }): void;
}

/** What every session listener needs from the session around it. */
export interface SessionListenerDeps {
  /** Opens a fresh channel to the node's service. */
  openUpstream: (origin: ForwardOrigin) => Promise<Duplex>;
  /** Called for each refused client, with its address and why. */
  onDenied: (ip: string, reason: string) => void;
  /** Called when bytes move, to reset the idle timer (the session throttles it). */
  onActivity: () => void;
  log: Logger;
}

/**
 * The client sockets of a session port: counts their bytes (live and closed) and cuts
 * them all when the session closes.
 */
export class SocketTally {
  private readonly clients = new Set<Socket>();
  private readonly others = new Set<Socket | Duplex>();
  private doneUp = 0;
  private doneDown = 0;

  /** Tracks a client socket until it closes. */
  client(socket: Socket): void {
    this.clients.add(socket);
    socket.once('close', () => {
      this.clients.delete(socket);
      this.doneUp += socket.bytesRead;
      this.doneDown += socket.bytesWritten;
    });
  }

  /** Tracks a socket or channel whose bytes are not counted (an upstream channel, a TLS handshake still under way) so destroyAll() cuts it too. */
  track(s: Socket | Duplex): void {
    this.others.add(s);
    s.once('close', () => this.others.delete(s));
  }

  /** Bytes received from clients. */
  get bytesUp(): number {
    let n = this.doneUp;
    for (const s of this.clients) n += s.bytesRead;
    return n;
  }

  /** Bytes sent to clients. */
  get bytesDown(): number {
    let n = this.doneDown;
    for (const s of this.clients) n += s.bytesWritten;
    return n;
  }

  /** Destroys every tracked socket. */
  destroyAll(): void {
    for (const s of [...this.clients, ...this.others]) s.destroy();
  }
}

/** Stops a server; resolves when its port is free. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

/**
 * Opens a client connection's own channel to the node's service and joins the two: the
 * channel is counted in `tally`, bytes either way reset the idle timer, and `ready` runs
 * just before bytes flow (a proving port answers the client there). A client gone by the
 * time the channel opens has it closed again; a channel that cannot open ends the client.
 */
export function relayToNode(deps: SessionListenerDeps, tally: SocketTally, socket: Socket, origin: ForwardOrigin, ready?: () => void): void {
  deps.openUpstream(origin).then(
    (upstream) => {
      if (socket.destroyed) {
        upstream.destroy();
        return;
      }
      tally.track(upstream);
      const activity = () => deps.onActivity();
      socket.on('data', activity);
      upstream.on('data', activity);
      ready?.();
      // A client's half-close reaches the node as EOF; the answer still comes back.
      relayToChannel(socket, upstream);
    },
    (err: Error) => {
      deps.log.info({ err: err.message }, 'could not reach the node service');
      socket.destroy();
    },
  );
}
