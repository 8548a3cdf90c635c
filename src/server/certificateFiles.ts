import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BurrowError } from '../shared/errors.js';
import { pinOfPem } from '../shared/tlsPin.js';

/** A certificate chain and its key, checked to belong together and to be valid now. */
export interface LoadedCertificate {
  /** The chain as PEM: the leaf first, then its intermediates. */
  cert: string;
  key: string;
  /** The pin nodes and admins trust: the SPKI hash of the leaf (`sha256/…`). */
  pin: string;
  /** When the leaf expires (ms since the epoch). */
  notAfter: number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads a file, or says in one sentence which one cannot be read and why. */
async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new BurrowError('VALIDATION', `The ${what} file ${path} cannot be read (${code}).`);
  }
}

/**
 * Checks a PEM chain and key the way a TLS client will meet them, so that a bad pair is
 * refused here rather than by every node at its next connect: at least one certificate,
 * each issued by the next (leaf first), the key belonging to the leaf, the leaf valid at `now`.
 */
export function checkCertificate(certPem: string, keyPem: string, now: number, names: { cert: string; key: string } = { cert: 'certificate', key: 'key' }): LoadedCertificate {
  const blocks = certPem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new BurrowError('VALIDATION', `${names.cert} holds no certificate (expected PEM "-----BEGIN CERTIFICATE-----" blocks, the server's first).`);
  let chain: X509Certificate[];
  try {
    chain = blocks.map((b) => new X509Certificate(b));
  } catch (err) {
    throw new BurrowError('VALIDATION', `${names.cert} holds a certificate that cannot be parsed (${(err as Error).message}).`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new BurrowError('VALIDATION', `${names.key} holds no private key that can be read (expected an unencrypted PEM key).`);
  }
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) throw new BurrowError('VALIDATION', `The key in ${names.key} does not match the certificate in ${names.cert} (the first certificate must be the server's own).`);
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i] as X509Certificate, chain[i + 1] as X509Certificate];
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw new BurrowError('VALIDATION', `The chain in ${names.cert} is out of order: certificate ${i + 2} did not issue certificate ${i + 1} (put the server's certificate first, then each issuer).`);
    }
  }
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (notAfter <= now) throw new BurrowError('VALIDATION', `The certificate in ${names.cert} expired on ${new Date(notAfter).toISOString()}.`);
  if (notBefore > now) throw new BurrowError('VALIDATION', `The certificate in ${names.cert} is not valid before ${new Date(notBefore).toISOString()}.`);
  const cert = `${blocks.join('\n')}\n`;
  return { cert, key: keyPem, pin: pinOfPem(cert), notAfter };
}

/** Reads and checks the certificate chain at `certPath` and the key at `keyPath`. */
export async function loadCertificate(certPath: string, keyPath: string, now: number): Promise<LoadedCertificate> {
  const [cert, key] = [await readPem(certPath, 'certificate'), await readPem(keyPath, 'key')];
  return checkCertificate(cert, key, now, { cert: certPath, key: keyPath });
}

/**
 * The certificate a server starts with, taken as it is: an expired certificate still serves
 * nodes (they pin it), so it is logged, not refused, at start.
 */
export function certificateInService(cert: string, key: string): LoadedCertificate {
  // In the form a reload produces, so that re-reading the same files is seen as no change.
  const chain = `${(cert.match(PEM_CERT) ?? [cert]).join('\n')}\n`;
  return { cert: chain, key, pin: pinOfPem(cert), notAfter: Date.parse(new X509Certificate(cert).validTo) };
}
