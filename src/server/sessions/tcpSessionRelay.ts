import net from 'node:net';
import type { Socket } from 'node:net';
import { clientAddress } from '../clientAddress.js';
import { closeServer, relayToNode, SocketTally, type SessionListener, type SessionListenerDeps } from './sessionListener.js';

/** What a raw TCP relay needs. */
export interface TcpSessionRelayDeps extends SessionListenerDeps {
  /** The only source address admitted. */
  allowedIp: string;
}

/**
 * The plain TCP listener of a `tcp` session (e.g. the node's SSH): tools that are not
 * browsers cannot carry a cookie or speak our TLS, so the source address is the guard,
 * and each admitted connection gets its own channel to the node's service.
 */
export class TcpSessionRelay implements SessionListener {
  readonly server: net.Server;
  private readonly tally = new SocketTally();

  constructor(private readonly deps: TcpSessionRelayDeps) {
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.onClient(socket));
  }

  get bytesUp(): number {
    return this.tally.bytesUp;
  }

  get bytesDown(): number {
    return this.tally.bytesDown;
  }

  private onClient(socket: Socket): void {
    const client = clientAddress(socket);
    const ip = client.ip;
    if (ip !== this.deps.allowedIp) {
      socket.destroy();
      this.deps.onDenied(ip, 'source address not allowed');
      return;
    }
    this.tally.client(socket);
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    // Hold client bytes until the channel is there; pipe() then drains them in order.
    socket.pause();
    relayToNode(this.deps, this.tally, socket, client);
  }

  /** Stops listening and cuts every open connection; resolves when the port is free. */
  close(): Promise<void> {
    this.tally.destroyAll();
    return closeServer(this.server);
  }
}
