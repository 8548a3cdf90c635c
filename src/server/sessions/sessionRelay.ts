import tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../shared/log.js';
import { joinStreams } from '../../shared/joinStreams.js';
import { normalizeIp } from '../../shared/net.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';

/** What a relay needs from the world around it. */
export interface SessionRelayDeps {
  tlsOptions: tls.TlsOptions;
  /** The only source address admitted. */
  allowedIp: string;
  /** Opens a fresh channel to the node's service for one client connection. */
  openUpstream: (origin: ForwardOrigin) => Promise<Duplex>;
  /** Called for each refused client, with its address. */
  onDenied: (ip: string) => void;
  /** Called on every byte movement, to reset the idle timer. */
  onActivity: () => void;
  log: Logger;
}

/**
 * The TLS listener of one session port: terminates TLS with the server's certificate
 * and pipes each admitted connection into its own channel through the node's tunnel.
 */
export class SessionRelay {
  readonly server: tls.Server;
  private readonly sockets = new Set<Socket | Duplex>();
  bytesUp = 0;
  bytesDown = 0;

  constructor(private readonly deps: SessionRelayDeps) {
    this.server = tls.createServer({ ...deps.tlsOptions, minVersion: 'TLSv1.2' }, (socket) => this.onClient(socket));
    // Handshake failures (scanners, wrong protocol) are the client's problem, not ours.
    this.server.on('tlsClientError', (_err, socket) => socket.destroy());
    // Refuse strangers before the TLS handshake costs us anything.
    this.server.on('connection', (socket: Socket) => {
      const ip = normalizeIp(socket.remoteAddress);
      if (ip !== deps.allowedIp) {
        socket.destroy();
        deps.onDenied(ip);
      }
    });
  }

  private onClient(socket: tls.TLSSocket): void {
    this.track(socket);
    socket.setNoDelay(true);
    const origin = { ip: normalizeIp(socket.remoteAddress), port: socket.remotePort ?? 0 };
    this.deps.openUpstream(origin).then(
      (upstream) => {
        if (socket.destroyed) {
          upstream.destroy();
          return;
        }
        this.track(upstream);
        socket.on('data', (chunk: Buffer) => {
          this.bytesUp += chunk.length;
          this.deps.onActivity();
        });
        upstream.on('data', (chunk: Buffer) => {
          this.bytesDown += chunk.length;
          this.deps.onActivity();
        });
        joinStreams(socket, upstream);
      },
      (err: Error) => {
        this.deps.log.info({ err: err.message }, 'could not reach the node service');
        socket.destroy();
      },
    );
  }

  private track(s: Socket | Duplex): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  /** Stops listening and cuts every open connection; resolves when the port is free. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
  }
}
