import type { Server, Socket } from 'node:net';
import type { Clock } from '../shared/clock.js';
import type { ServerConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import { clientAddress } from './clientAddress.js';
import { ConnectionCap } from './connectionCap.js';
import { HandshakeGate } from './handshakeGate.js';
import type { TunnelRefusal } from './metrics/serverMetrics.js';
import { RefusalLog } from './refusalLog.js';

/** What the main port's admission needs. */
export interface MainPortAdmissionDeps {
  config: Pick<ServerConfig, 'maxConnectionsPerIp' | 'maxTlsHandshakes' | 'tlsHandshakeTimeoutMs'>;
  clock: Clock;
  log: Logger;
  metrics: { tunnelRefused(reason: TunnelRefusal): void };
}

/**
 * What stands before TLS on the main port, so a flood costs as little as possible: the
 * per-address cap on open connections, then the bound on TLS handshakes under way. Each
 * refusal is counted in the metrics and logged, rate-limited.
 */
export class MainPortAdmission {
  private readonly refusals: RefusalLog;
  private readonly shedLog: RefusalLog;
  private readonly cap: ConnectionCap;
  private readonly handshakes: HandshakeGate;

  constructor(d: MainPortAdmissionDeps) {
    this.refusals = new RefusalLog(d.log, d.clock, 'connection refused: per-address cap reached');
    this.shedLog = new RefusalLog(d.log, d.clock, 'connection cut: too many TLS handshakes under way');
    this.cap = new ConnectionCap(d.config.maxConnectionsPerIp, (ip, open) => {
      this.refusals.refused(ip, open);
      d.metrics.tunnelRefused('address-cap');
    });
    this.handshakes = new HandshakeGate({
      maxInFlight: d.config.maxTlsHandshakes,
      timeoutMs: d.config.tlsHandshakeTimeoutMs,
      clock: d.clock,
      onShed: (socket, inFlight) => {
        this.shedLog.refused(clientAddress(socket).ip, inFlight);
        d.metrics.tunnelRefused('tls-busy');
      },
    });
  }

  /** Watches the server's connections: the address cap first (prepended last), then the bound on handshakes, then TLS. */
  attach(server: Server): void {
    this.handshakes.attach(server);
    this.cap.attach(server);
  }

  /** A node's tunnel is authenticated: its connection no longer counts against its address. */
  release(socket: Socket): void {
    this.cap.release(socket);
  }

  /** Flushes the refusal logs. */
  close(): void {
    this.refusals.close();
    this.shedLog.close();
  }
}
