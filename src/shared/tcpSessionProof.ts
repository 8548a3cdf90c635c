/** What a client sends first on a proving tcp session port: this, its ticket, then a newline. */
export const PROOF_PREFIX = 'burrow-tcp/1 ';
/** What the port answers once the proof held and the node's service is reached; relayed bytes follow. */
export const PROOF_OK = 'burrow-tcp/1 ok\n';

/** POST /v1/sessions/:id/tickets: what `burrow tcp` needs to make one connection to a tcp session. */
export interface TcpTicketView {
  /** One-time secret to send first, after the TLS handshake. */
  ticket: string;
  /** When the ticket is refused if not used (ISO time). */
  expiresAt: string;
  /** Where the session port is. */
  host: string;
  port: number;
  /** The node service the session reaches. */
  service: string;
}

/** What the audit entry and the CLI say about a bare tcp session. */
export const BARE_WARNING = 'a bare tcp session admits anyone who connects from your address (the same NAT, proxy or machine), with no proof; prefer burrow tcp';
