import { BurrowError } from '../shared/errors.js';

/** The TLS errors of a certificate the system CAs do not vouch for (self-signed, unknown issuer). */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * `err` of a request made without a pin, turned into the sentence a user needs when the
 * server's certificate is self-signed (as `server init` makes it): how to pin it and
 * where the pin is printed. Any other error is returned unchanged.
 */
export function explainUntrustedServer(err: unknown, server: string): unknown {
  const cause = err instanceof BurrowError ? err.cause : err;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof BurrowError && err.code === 'SERVER_UNREACHABLE' && typeof code === 'string' && UNTRUSTED_CERT_CODES.has(code)) {
    return new BurrowError(
      'SERVER_UNREACHABLE',
      `The certificate of ${server} is self-signed or from an unknown authority (${code}): pin it with --fingerprint sha256/… as printed by "burrow server init" (or run "burrow server fingerprint" on the server machine).`,
      { cause },
    );
  }
  return err;
}
