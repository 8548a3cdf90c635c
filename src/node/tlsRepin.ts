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
