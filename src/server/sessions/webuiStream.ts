import tls from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServiceTarget } from '../../shared/serviceTarget.js';

/**
 * Opens a stream to a node's WebUI: a tunnel channel, with TLS inside it for an `https`
 * WebUI. Appliance certificates are self-signed, and the channel is already authenticated
 * end to end by the tunnel, so the certificate is not checked.
 */
export async function openWebuiStream(target: ServiceTarget, open: () => Promise<Duplex>): Promise<Duplex> {
  const channel = await open();
  if (target.scheme === 'http') return channel;
  const servername = isIP(target.host) ? undefined : target.host;
  const secure = tls.connect({ socket: channel, rejectUnauthorized: false, servername });
  return new Promise((resolve, reject) => {
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', (err) => {
      channel.destroy();
      reject(err);
    });
  });
}
