import type { Socket } from 'node:net';
import { normalizeIp } from '../shared/net.js';

/** Where a client connects from: its own address, even behind a balancer. */
export interface ClientAddress {
  ip: string;
  port: number;
}

/** Client addresses a listed balancer named in a PROXY header, by the raw socket it arrived on. */
const forwarded = new WeakMap<object, ClientAddress>();

/** Notes that `socket`, from a trusted balancer, carries the connection of `client`. */
export function recordClientAddress(socket: Socket, client: ClientAddress): void {
  forwarded.set(socket, client);
}

/**
 * The address every check, cap, throttle and audit record uses: the client a trusted
 * balancer named for this connection, else the socket's peer. `socket` may be the raw TCP
 * socket or the TLS socket wrapped around it: Node's TLSSocket keeps the socket it wraps
 * in `_parent` (the TLS test in proxyProtocolGate.test.ts checks this holds on the Node we run).
 */
export function clientAddress(socket: Socket | undefined): ClientAddress {
  if (!socket) return { ip: '', port: 0 };
  const raw = (socket as Socket & { _parent?: unknown })._parent;
  const named = forwarded.get(socket) ?? (typeof raw === 'object' && raw !== null ? forwarded.get(raw) : undefined);
  return named ?? { ip: normalizeIp(socket.remoteAddress), port: socket.remotePort ?? 0 };
}
