import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { constantTimeEqual } from './secrets.js';

/** The pin of a certificate: `sha256/` + base64url of the SHA-256 of its DER bytes. */
export function pinOfPem(pem: string): string {
  const cert = new X509Certificate(pem);
  return pinOfRaw(cert.raw);
}

/** The pin of DER bytes, as `pinOfPem` formats it. */
export function pinOfRaw(der: Buffer): string {
  return `sha256/${Buffer.from(new X509Certificate(der).fingerprint256.replaceAll(':', ''), 'hex').toString('base64url')}`;
}

/** Whether a peer certificate from a TLS handshake matches a pin. */
export function peerMatchesPin(cert: PeerCertificate | undefined, pin: string): boolean {
  if (!cert || !cert.raw) return false;
  return constantTimeEqual(pinOfRaw(cert.raw), pin);
}
