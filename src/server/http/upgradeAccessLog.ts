import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { REQUEST_ID_HEADER, requestIdFor } from './requestId.js';
import { clientAddress } from '../clientAddress.js';

/** The terminal WebSocket's route pattern, as access-log lines name it. */
export const SHELL_ROUTE = '/v1/nodes/:id/shell';

/**
 * Writes one access-log line for a WebSocket upgrade on the main port (a node's tunnel, a
 * terminal) when its connection closes: request id, method, route, path without its query,
 * duration, bytes, client address. What it needs is read off the request at once: this
 * closure lives as long as the tunnel, and must not keep the whole request alive.
 */
export function logUpgrade(o: { log: Logger; clock: Clock }, req: IncomingMessage, socket: Socket, route: string | null): void {
  const line = {
    reqId: requestIdFor(req.headers[REQUEST_ID_HEADER.toLowerCase()]),
    method: req.method ?? '',
    route,
    path: (req.url ?? '').split('?')[0]?.slice(0, 256) ?? '',
    upgrade: 'websocket',
    ip: clientAddress(socket).ip,
  };
  const start = o.clock.now();
  socket.once('close', () => {
    o.log.info({ ...line, durationMs: o.clock.now() - start, bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten }, 'upgrade');
  });
}
