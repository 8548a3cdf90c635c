/**
 * How a node follows a TLS certificate renewed with a new key, without trusting whoever
 * answers. Nodes pin the server's TLS key (SPKI) and, inside the TLS, its SSH host key; both
 * come from enrollment. When the TLS key no longer matches the pin, the node finishes the
 * handshake anyway but treats the connection as unconfirmed: SSH runs inside it and
 * authenticates the server by the pinned host key, the node announces no service, and asks
 * (status channel) for the pins of the certificate the server has in service. Only if the
 * certificate this very connection presented is among them (so TLS ends at the real server,
 * not at someone in between who relays SSH) does the node adopt its pin and reconnect.
 * What an interceptor sees before the node gives up is the WebSocket upgrade (the tunnel
 * path and the service targets header: local addresses, no secret) and SSH ciphertext.
 *
 * Chosen over pinning a CA (a self-signed server has none, and an operator's certificate
 * may change issuer) and over announcing the next pin before the switch (a node offline
 * during the announcement would be stranded): this needs nothing from the operator, and a
 * node offline for months still comes back. A publicly trusted certificate is pinned the
 * same way: appliances often carry stale CA bundles, and the pin follows renewals anyway.
 */

/** What the node saw in a TLS handshake: the pin of the peer's certificate, and whether it matched the stored pin. */
export interface TlsPeer {
  pin: string;
  verified: boolean;
}

/** What to do with the pins the server announced. */
export type PinDecision = { action: 'keep' } | { action: 'adopt'; pin: string } | { action: 'refuse'; reason: string };

/** Decides, from the pins the server announced over the SSH-authenticated tunnel, whether the peer's key becomes the pin. */
export function pinDecision(o: { stored: string; peer: TlsPeer; announced: string[] | undefined }): PinDecision {
  const { stored, peer, announced } = o;
  const vouched = announced?.includes(peer.pin) ?? false;
  if (vouched) return stored === peer.pin ? { action: 'keep' } : { action: 'adopt', pin: peer.pin };
  if (peer.verified) return { action: 'keep' };
  if (announced === undefined) return { action: 'refuse', reason: "the server's TLS certificate does not match the pinned one, and the server did not confirm a new one (a server too old to tell its pins?)" };
  return { action: 'refuse', reason: `the TLS certificate presented (${peer.pin}) is not the one the server has in service; someone may be intercepting` };
}

/** What the agent does with a status reply on a connection whose TLS key the server was asked to vouch for. */
export interface RepinOutcome {
  /** Why the connection is dropped. */
  drop: string;
  /** Dial again at once (with the adopted pin), not after the backoff. */
  redialAtOnce: boolean;
  /** The error to report (a refusal). */
  error?: string;
}

/**
 * The server's TLS key as one agent follows it: the pin it dials with, and the certificate
 * each attempt was shown. Adopting a key it learned is reported through `onAdopt`.
 */
export class ServerTlsKey {
  private peer?: TlsPeer;

  constructor(
    private pin: string,
    private readonly onAdopt: (pin: string, previous: string) => void,
  ) {}

  /** The pin to dial with. */
  get dialPin(): string {
    return this.pin;
  }

  /** The certificate presented to this attempt, when its key is not (yet) the pinned one. */
  get unconfirmed(): string | undefined {
    return this.peer && !this.peer.verified ? this.peer.pin : undefined;
  }

  /** A new attempt: nothing presented yet. */
  beginAttempt(): void {
    this.peer = undefined;
  }

  /** Records the certificate a handshake presented (see dialTunnel's `onPeer`). */
  presented(pin: string, verified: boolean): void {
    this.peer = { pin, verified };
  }

  /**
   * Weighs the pins the server announced against the certificate this connection presented
   * and adopts a new key the server vouches for. Undefined when the reply is to be acted on;
   * otherwise the connection was unconfirmed and is dropped (to reconnect with the new pin,
   * or because the server disowned the certificate).
   */
  weigh(announced: string[] | undefined): RepinOutcome | undefined {
    const peer = this.peer;
    if (!peer) return undefined;
    const d = pinDecision({ stored: this.pin, peer, announced });
    if (d.action === 'adopt') {
      this.onAdopt(d.pin, this.pin);
      this.pin = d.pin;
    }
    if (peer.verified) return undefined;
    if (d.action === 'refuse') return { drop: d.reason, redialAtOnce: false, error: d.reason };
    return { drop: "reconnecting with the server's new TLS key", redialAtOnce: true };
  }
}
