import { BurrowError } from '../shared/errors.js';
import { databaseUrlSchema, optionValue, peerUrlSchema, serverConfigSchema, sessionDomainSchema, type ServerConfig } from '../shared/config.js';

/** What one instance's server.json says about where it listens and how it is reached. */
export interface InstanceOptions {
  listen: string;
  publicUrl?: string;
  sessionPorts: [number, number];
  /** Address session ports bind to; by default the interface the server listens on. */
  sessionHost?: string;
  /** Sessions get a host each under this DNS name (and the certificate covers `*.<it>`). */
  sessionDomain?: string;
  /** A PostgreSQL database URL for the store; absent, the store is a SQLite file in the home. */
  database?: string;
  /** Where the peer link from the deployment's other instances listens (HOST:PORT). */
  peerListen?: string;
  /** The URL the other instances dial for this one's peer link. */
  peerUrl?: string;
}

/**
 * Checks the options of `server init` (a new server or one joining a deployment) and makes
 * the instance's config from them, each bad option named in one sentence.
 */
export function instanceConfig(o: InstanceOptions): ServerConfig {
  const listen = optionValue('--listen', serverConfigSchema.shape.listen, o.listen);
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)];
  const publicUrl = o.publicUrl ?? `https://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  if (!/^https:\/\/[^/?#\s]+\/?$/.test(publicUrl) || !URL.canParse(publicUrl)) {
    throw new BurrowError('VALIDATION', `--public-url: "${publicUrl}" is not a URL like https://burrow.example.com or https://203.0.113.7:8443.`);
  }
  // Session ports open on the interface the server listens on: a server kept on loopback
  // must not expose its session ports to the network.
  const sessionHost = o.sessionHost ?? (host === '' ? '0.0.0.0' : host.replace(/^\[(.*)\]$/, '$1'));
  if (!/^[\w.:-]+$/.test(sessionHost)) throw new BurrowError('VALIDATION', `--session-host: "${sessionHost}" is not an address such as 0.0.0.0 or 10.0.0.21.`);
  const sessionDomain = o.sessionDomain === undefined ? undefined : optionValue('--session-domain', sessionDomainSchema, o.sessionDomain);
  const database = o.database === undefined ? undefined : optionValue('--database', databaseUrlSchema, o.database);
  const peerListen = o.peerListen === undefined ? undefined : optionValue('--peer-listen', serverConfigSchema.shape.listen, o.peerListen);
  const peerUrl = o.peerUrl === undefined ? undefined : optionValue('--peer-url', peerUrlSchema, o.peerUrl);
  return serverConfigSchema.parse({
    listen, publicUrl, sessionPorts: o.sessionPorts, sessionHost,
    ...(sessionDomain ? { sessionDomain } : {}), ...(database ? { database } : {}), ...(peerListen ? { peerListen } : {}), ...(peerUrl ? { peerUrl } : {}),
  });
}
