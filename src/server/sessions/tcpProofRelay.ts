import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { clientAddress } from '../clientAddress.js';
import { closeServer, relayToNode, SocketTally, type SessionListener, type SessionListenerDeps } from './sessionListener.js';
import { PROOF_OK } from '../../shared/tcpSessionProof.js';
import { readProof, type TcpTickets } from './tcpProof.js';

/** What a proving TCP relay needs. */
export interface TcpProofRelayDeps extends SessionListenerDeps {
  /** The server's certificate and key: clients pin it as they pin the API's. */
  tlsOptions: tls.TlsOptions;
  clock: Clock;
  tickets: TcpTickets;
  /** Deadline for the TLS handshake, and again for the proof line after it (default 10 s each). */
  proofTimeoutMs?: number;
}

/**
 * The listener of a `tcp` session used through `burrow tcp`. Each connection must finish
 * a TLS handshake (so the ticket cannot be read on the way) and then send a one-time
 * ticket of this session (see TcpTickets) before anything else happens: until then no
 * channel to the node is opened, so the node sees nothing of a client that did not prove
 * itself, whatever address it comes from. Only then does the connection get its own
 * channel to the node's service, and the port answers PROOF_OK before relaying.
 */
export class TcpProofRelay implements SessionListener {
  readonly server: net.Server;
  private readonly tally = new SocketTally();
  private secureContext: tls.SecureContext;
  private readonly timeoutMs: number;

  constructor(private readonly deps: TcpProofRelayDeps) {
    this.secureContext = tls.createSecureContext({ minVersion: 'TLSv1.2', ...deps.tlsOptions });
    this.timeoutMs = deps.proofTimeoutMs ?? 10_000;
    this.server = net.createServer({ allowHalfOpen: true }, (raw) => this.onConnection(raw));
  }

  /** A renewed certificate (see CertificateReloader): connections from now on are served with it. */
  setCertificate(pair: { cert: string; key: string }): void {
    this.secureContext = tls.createSecureContext({ minVersion: 'TLSv1.2', ...this.deps.tlsOptions, ...pair });
  }

  get bytesUp(): number {
    return this.tally.bytesUp;
  }

  get bytesDown(): number {
    return this.tally.bytesDown;
  }

  private onConnection(raw: Socket): void {
    // Behind a listed balancer, the client its PROXY header named (see proxyProtocolGate).
    const { ip, port } = clientAddress(raw);
    this.tally.track(raw);
    raw.on('error', () => raw.destroy());
    const { clock } = this.deps;
    const refuse = (reason: string) => {
      raw.destroy();
      this.deps.onDenied(ip, reason);
    };
    let handshake: TimerHandle | undefined = clock.setTimeout(() => {
      handshake = undefined;
      refuse('TLS handshake timed out');
    }, this.timeoutMs);
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: this.secureContext });
    socket.on('error', () => {
      const handshaking = handshake !== undefined;
      if (handshake) clock.clearTimeout(handshake);
      handshake = undefined;
      socket.destroy();
      // A client that does not speak TLS (plain TCP, a scanner) is refused like any other;
      // an error once the relay runs is the link's, not a refusal.
      if (handshaking) refuse('TLS handshake failed');
      else raw.destroy();
    });
    socket.once('secure', () => {
      if (!handshake) return;
      clock.clearTimeout(handshake);
      handshake = undefined;
      this.tally.client(socket);
      socket.setNoDelay(true);
      void readProof(socket, clock, this.timeoutMs).then((proof) => {
        if (proof.kind === 'refused') refuse(proof.reason);
        else if (!this.deps.tickets.redeem(proof.ticket)) refuse('ticket invalid, spent or expired');
        else this.relay(socket, ip, port);
      });
    });
  }

  /** Opens the connection's own channel to the node's service and joins the two. */
  private relay(socket: tls.TLSSocket, ip: string, port: number): void {
    relayToNode(this.deps, this.tally, socket, { ip, port }, () => {
      socket.write(PROOF_OK);
      // Paused while the proof was read; it flows from the next tick, once the pipes are set.
      socket.resume();
    });
  }

  /** Spends every ticket, stops listening and cuts every connection; resolves when the port is free. */
  close(): Promise<void> {
    this.deps.tickets.close();
    this.tally.destroyAll();
    return closeServer(this.server);
  }
}
