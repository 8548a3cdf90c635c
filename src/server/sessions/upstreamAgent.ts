import http from 'node:http';
import tls from 'node:tls';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServiceTarget } from '../../shared/serviceTarget.js';

/** Socket methods the HTTP client calls that an SSH channel does not have. */
const SOCKET_NOOPS = ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref'] as const;

/** Gives a channel the no-op socket methods http.Agent calls on pooled sockets. */
function socketLike(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const m of SOCKET_NOOPS) if (typeof s[m] !== 'function') s[m] = () => stream;
  return stream;
}

/**
 * An http.Agent whose connections are tunnel channels to one node service, pooled with
 * keep-alive so a browser's requests reuse them. For an `https` WebUI it speaks TLS inside
 * the channel; appliance certificates are self-signed, and the channel is already
 * authenticated end to end by the tunnel, so the certificate is not checked.
 */
export class UpstreamAgent extends http.Agent {
  constructor(
    private readonly target: ServiceTarget,
    private readonly open: () => Promise<Duplex>,
    private readonly onUpstream: (s: Duplex) => void,
  ) {
    // As many idle channels kept as may be busy: a browser (or a load test) with many parallel
    // connections must not pay a channel open for every request.
    super({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo' });
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    let called = false;
    const done = (err: Error | null, stream: Duplex): void => {
      if (called) return;
      called = true;
      callback?.(err, stream);
    };
    this.open().then(
      (channel) => {
        this.onUpstream(channel);
        if (this.target.scheme === 'http') {
          done(null, socketLike(channel));
          return;
        }
        const servername = isIP(this.target.host) ? undefined : this.target.host;
        const secure = tls.connect({ socket: channel, rejectUnauthorized: false, servername });
        secure.once('secureConnect', () => done(null, secure));
        secure.once('error', (err) => done(err, secure));
      },
      (err: Error) => done(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** Opens one channel for a WebSocket upgrade, with TLS inside it for an `https` WebUI. */
export async function openUpgradeStream(target: ServiceTarget, open: () => Promise<Duplex>): Promise<Duplex> {
  const channel = await open();
  if (target.scheme === 'http') return channel;
  const servername = isIP(target.host) ? undefined : target.host;
  const secure = tls.connect({ socket: channel, rejectUnauthorized: false, servername });
  return new Promise((resolve, reject) => {
    secure.once('secureConnect', () => resolve(secure));
    secure.once('error', reject);
  });
}
