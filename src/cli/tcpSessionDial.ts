import net from 'node:net';
import tls from 'node:tls';
import { BurrowError } from '../shared/errors.js';
import { PROOF_OK, PROOF_PREFIX, type TcpTicketView } from '../shared/tcpSessionProof.js';
import { peerMatchesPin } from '../shared/tlsPin.js';
import type { AdminClient } from './adminClient.js';

/** How long one connection may take from the ticket to the port's answer. */
const DIAL_TIMEOUT_MS = 30_000;

/**
 * Makes one connection to a tcp session's port and proves it: a fresh one-time ticket from
 * the API, a TLS handshake checked against the same pin (or CAs) as the API, then the
 * ticket, before anything of the caller's. Resolves with the socket once the port said the
 * node's service is on the other end; the caller's bytes go through it from then on.
 */
export async function dialTcpSession(api: AdminClient, sessionId: string, service: string): Promise<tls.TLSSocket> {
  const t = await api.call<TcpTicketView>('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/tickets`);
  if (t.service !== service) throw new BurrowError('VALIDATION', `Session ${sessionId} reaches the service "${t.service}", not "${service}".`);
  const pin = api.pin;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: t.host,
      port: t.port,
      minVersion: 'TLSv1.2',
      // With a pin, the pin decides (a self-signed server); without one, the system CAs and the name.
      rejectUnauthorized: pin === undefined,
      ...(net.isIP(t.host) ? {} : { servername: t.host }),
    });
    let answer = Buffer.alloc(0);
    const fail = (err: BurrowError) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new BurrowError('SERVER_UNREACHABLE', `The session port ${t.host}:${t.port} did not answer in time.`)), DIAL_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer.length < PROOF_OK.length) return;
      if (answer.subarray(0, PROOF_OK.length).toString('latin1') !== PROOF_OK) {
        fail(new BurrowError('SERVER_UNREACHABLE', `The session port ${t.host}:${t.port} answered something other than burrow's.`));
        return;
      }
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onError);
      socket.pause();
      const rest = answer.subarray(PROOF_OK.length);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onClose = () => fail(new BurrowError('SERVER_UNREACHABLE', `The session port ${t.host}:${t.port} closed the connection: the session has ended or the node's ${t.service} service cannot be reached.`));
    const onError = (err: NodeJS.ErrnoException) => fail(new BurrowError('SERVER_UNREACHABLE', `Cannot reach the session port ${t.host}:${t.port}: ${err.code ?? err.message}.`, { cause: err }));
    socket.once('secureConnect', () => {
      if (pin !== undefined && !peerMatchesPin(socket.getPeerCertificate(), pin)) {
        fail(new BurrowError('TLS_PIN_MISMATCH', `The session port's TLS certificate does not match the pinned one (${pin}); someone may be intercepting.`));
        return;
      }
      socket.write(`${PROOF_PREFIX}${t.ticket}\n`);
    });
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
}
