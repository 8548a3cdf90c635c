import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
import { constantTimeEqual } from '../../shared/secrets.js';
import { writeFileAtomic } from '../../shared/secureFiles.js';
import { pinOfPem, pinOfRaw } from '../../shared/tlsPin.js';
import { serverPaths } from '../serverHome.js';

/** The deployment's peer key pair, as this instance presents it on the peer link (both ways). */
export interface PeerCredentials {
  cert: string;
  key: string;
  /** Pin of the key (`sha256/…`): a peer is whoever presents a certificate with this same pin. */
  pin: string;
}

/**
 * The peer key pair of this home, made (P-256, self-signed, valid a hundred years: nothing
 * checks its dates, only its key) when the home has none: at `server init`, or at the first
 * start of a home made before peer links existed. Every instance of a deployment must hold
 * the same pair, so a joining instance copies it in before this runs and keeps it.
 */
export async function readOrCreatePeerCredentials(home: string): Promise<PeerCredentials> {
  const paths = serverPaths(home);
  const [cert, key] = await Promise.all([readIfPresent(paths.peerCert), readIfPresent(paths.peerKey)]);
  if (cert !== undefined && key !== undefined) return { cert, key, pin: pinOfPem(cert) };
  if (cert !== undefined || key !== undefined) {
    throw new Error(`${cert === undefined ? paths.peerCert : paths.peerKey} is missing while its pair is there; copy both peer files from another instance of the deployment.`);
  }
  const made = await newPeerKeyPair();
  // The key first: a home with a certificate but no key is the state refused above.
  await writeFileAtomic(paths.peerKey, made.key, 0o600);
  await writeFileAtomic(paths.peerCert, made.cert, 0o600);
  return { ...made, pin: pinOfPem(made.cert) };
}

/** Whether a certificate from a TLS handshake carries the peer key named by `pin` (compared in constant time). */
export function presentsPeerKey(cert: PeerCertificate | undefined, pin: string): boolean {
  if (!cert?.raw) return false;
  return constantTimeEqual(pinOfRaw(cert.raw), pin);
}

/** A new self-signed P-256 certificate for the peer link, fit for both ends of a TLS connection. */
export async function newPeerKeyPair(): Promise<{ cert: string; key: string }> {
  // Imported only when a pair is made: selfsigned and its ASN.1 libraries took about a
  // third of every `server start`'s CPU, which only reads the pair it made at init.
  // Through `default` (module.exports): the CLI bundle gives a CommonJS package's
  // dynamic import no named exports.
  const { default: selfsigned } = await import('selfsigned');
  const now = Date.now();
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'burrow peer' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 3_600_000),
    notAfterDate: new Date(now + 100 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}
