import type tls from 'node:tls';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import { ConnectionCap } from '../connectionCap.js';
import type { ProxyProtocol, ProxyProtocolGate } from '../proxyProtocol/proxyProtocolGate.js';
import type { RefusalLog } from '../refusalLog.js';
import { HttpSessionProxy } from './httpSessionProxy.js';
import type { SessionAdmission } from './sessionAdmission.js';
import { logSessionConnections } from './sessionAccessLog.js';
import type { SessionListener, SessionListenerDeps } from './sessionListener.js';
import type { SessionRecord } from '../store/sessionStore.js';
import { TcpProofRelay } from './tcpProofRelay.js';
import type { TcpTickets } from './tcpProof.js';
import { TcpSessionRelay } from './tcpSessionRelay.js';

/** What every session port of this server shares. */
export interface SessionPortDeps {
  clock: Clock;
  /** The TLS options in force now (a reload changes the certificate in them). */
  tlsOptions: tls.TlsOptions;
  /** Connections one source address may hold open on one session port. */
  maxConnectionsPerIp: number;
  headersTimeoutMs: number;
  /** Each http session has a host of its own (a session domain is configured). */
  hostOfItsOwn: boolean;
  /** Where refusals at the per-address cap are summed up. */
  capRefusals: RefusalLog;
  proxyProtocol?: ProxyProtocol;
  accessLog?: Logger;
}

/** What one session's port is for. */
export interface SessionPortSpec {
  record: SessionRecord;
  /** The opener's address: a bare tcp port admits it alone, an http port checks it with the token. */
  openerIp: string;
  /** Present for a tcp session used through `burrow tcp`: the port wants a ticket first. */
  tickets?: TcpTickets;
  admission: SessionAdmission;
  target: ServiceTarget;
  publicOrigin: () => string;
}

/**
 * The listener of one session port, not yet listening: the relay its type calls for, then
 * (in this order, as `connection` listeners run last-attached-first with the gate) the
 * per-address cap, the access log and, in front of them all, the PROXY protocol gate.
 */
export function createSessionPort(deps: SessionPortDeps, spec: SessionPortSpec, listenerDeps: SessionListenerDeps): SessionListener {
  const { record } = spec;
  const { clock } = deps;
  const listener: SessionListener = spec.tickets
    ? new TcpProofRelay({ ...listenerDeps, tlsOptions: deps.tlsOptions, clock, tickets: spec.tickets })
    : record.type === 'tcp'
    ? new TcpSessionRelay({ ...listenerDeps, allowedIp: spec.openerIp })
    : new HttpSessionProxy({
      ...listenerDeps,
      tlsOptions: deps.tlsOptions,
      headersTimeoutMs: deps.headersTimeoutMs,
      clock,
      admission: spec.admission,
      target: spec.target,
      publicOrigin: spec.publicOrigin,
      hostOfItsOwn: deps.hostOfItsOwn,
    });
  new ConnectionCap(deps.maxConnectionsPerIp, (ip, open) => deps.capRefusals.refused(ip, open)).attach(listener.server);
  if (deps.accessLog) logSessionConnections(listener.server, { log: deps.accessLog, clock, sessionId: record.id, type: record.type });
  // Last, so that it runs first: the cap and the listener then see the client the header names.
  const gate = deps.proxyProtocol?.attach(listener.server, { watchUnlisted: record.type === 'tcp' });
  return gate ? gated(listener, gate) : listener;
}

/** `listener`, whose close() also cuts the connections still waiting for their PROXY header. */
function gated(listener: SessionListener, gate: ProxyProtocolGate): SessionListener {
  return {
    server: listener.server,
    get bytesUp() {
      return listener.bytesUp;
    },
    get bytesDown() {
      return listener.bytesDown;
    },
    close() {
      gate.close();
      return listener.close();
    },
    setCertificate: listener.setCertificate?.bind(listener),
  };
}
