import type tls from 'node:tls';

/**
 * TLS 1.2 suites burrow offers: forward-secret key exchange (ECDHE) with an AEAD cipher
 * only. Node's default list still carries CBC suites with SHA-1 MACs and static-RSA key
 * exchange (e.g. AES128-SHA) for old clients; no burrow client or current browser needs
 * them. TLS 1.3 suites are all AEAD and are configured separately by OpenSSL.
 */
export const STRONG_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * TLS 1.3 suites in the order the server picks them: AES-128-GCM first. It is as safe as
 * the AES-256 that OpenSSL lists first (128-bit keys are far beyond brute force), and
 * with AES-NI it takes about a third less CPU per byte, which every tunnelled byte pays
 * twice (node → server, server → browser). ChaCha20 stays for CPUs without AES-NI.
 */
export const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'].join(':');

/** A peer that has not finished its TLS handshake by then is cut (Node's default is 120 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Server-side TLS settings shared by every burrow listener: TLS 1.2+, strong suites, a short handshake deadline. */
export function serverTlsPolicy(): Pick<tls.TlsOptions, 'minVersion' | 'ciphers' | 'honorCipherOrder' | 'handshakeTimeout'> {
  return { minVersion: 'TLSv1.2', ciphers: `${TLS13_SUITES}:${STRONG_TLS12_CIPHERS}`, honorCipherOrder: true, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS };
}

/**
 * How often Node checks open connections for the headers deadline. Its default of 30 s
 * lets a slowloris client hold a socket up to headersTimeout + 30 s; a quarter of the
 * deadline (within 250 ms-5 s) keeps the overshoot small at negligible cost.
 */
export function connectionsCheckingIntervalFor(headersTimeoutMs: number): number {
  return Math.max(250, Math.min(5_000, Math.floor(headersTimeoutMs / 4)));
}
