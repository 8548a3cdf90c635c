import type { Server, Socket } from 'node:net';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { SessionType } from '../../shared/protocol.js';
import { newId } from '../../shared/secrets.js';
import { clientAddress } from '../clientAddress.js';

/**
 * Writes one access-log line per client connection of a session port when it closes:
 * a request id, the session, the client's address, duration and bytes each way. Nothing
 * from inside the connection (URLs with the one-time token, the WebUI's cookies) is logged.
 */
export function logSessionConnections(server: Server, o: { log: Logger; clock: Clock; sessionId: string; type: SessionType }): void {
  server.on('connection', (socket: Socket) => {
    const start = o.clock.now();
    // Behind a listed balancer, the client its PROXY header named: the gate runs this
    // listener only once it has read the header (see proxyProtocolGate).
    const { ip } = clientAddress(socket);
    socket.once('close', () => {
      o.log.info({
        reqId: newId('req'),
        sessionId: o.sessionId,
        type: o.type,
        ip,
        durationMs: o.clock.now() - start,
        bytesIn: socket.bytesRead,
        bytesOut: socket.bytesWritten,
      }, 'session connection');
    });
  });
}
