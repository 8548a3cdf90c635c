import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { constantTimeEqual } from './secrets.js';

/**
 * The pin of a certificate: `sha256/` + base64url of the SHA-256 of its public key (the DER
 * SubjectPublicKeyInfo, as HPKP pins). A certificate renewed with the same key keeps its pin;
 * a new key gets a new one, which nodes learn over their SSH-authenticated tunnel
 * (src/node/tlsRepin.ts).
 */
export function pinOfPem(pem: string): string {
  return pinOfCert(new X509Certificate(pem));
}

/** The pin of a DER certificate, as `pinOfPem` formats it. */
export function pinOfRaw(der: Buffer): string {
  return pinOfCert(new X509Certificate(der));
}

function pinOfCert(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64url')}`;
}

/** The pin format of burrow before 2026-12: the SHA-256 of the whole certificate, still honoured. */
function certificateHashPin(der: Buffer): string {
  return `sha256/${createHash('sha256').update(der).digest('base64url')}`;
}

/** Whether a peer certificate from a TLS handshake matches a pin (of its key, or of the whole certificate as older pins are). */
export function peerMatchesPin(cert: PeerCertificate | undefined, pin: string): boolean {
  if (!cert || !cert.raw) return false;
  return constantTimeEqual(pinOfRaw(cert.raw), pin) || constantTimeEqual(certificateHashPin(cert.raw), pin);
}
