import { isIP } from 'node:net';
import { generate } from 'selfsigned';

/** A PEM certificate and its private key. */
export interface CertPair {
  cert: string;
  key: string;
}

/**
 * A self-signed P-256 certificate for the server's host names, valid ten years. Nodes
 * pin it (its hash rides in every enrollment token), so it needs no CA.
 */
export async function selfSignedCertificate(hostnames: string[]): Promise<CertPair> {
  const names = [...new Set(['localhost', '127.0.0.1', ...hostnames])];
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: hostnames[0] ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 3_600_000),
    notAfterDate: new Date(now.getTime() + 10 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
