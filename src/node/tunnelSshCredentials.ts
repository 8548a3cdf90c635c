import type { ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { constantTimeEqual } from '../shared/secrets.js';
import { publicKeyBlob } from '../shared/sshKeys.js';
import { signingKey } from '../shared/sshSigning.js';

/**
 * What the node shows and checks in its tunnel's SSH handshake: its own key, and the
 * server host key pinned at enrollment.
 */
export class TunnelSshCredentials {
  private decoded?: { pem: string; key: ParsedKey };

  constructor(
    private readonly nodeId: string,
    /** The server's SSH host key as pinned at enrollment (an OpenSSH public key line). */
    private readonly pinnedHostKey: string,
  ) {}

  /** Signs in as the node with its key as it is now, decoded once per key (it changes only when it rotates). */
  auth(pem: string): PublicKeyAuthMethod {
    if (this.decoded?.pem !== pem) this.decoded = { pem, key: signingKey(pem) };
    return { type: 'publickey', username: this.nodeId, key: this.decoded.key };
  }

  /** Whether the host key the server showed is the pinned one. */
  hostKeyMatches(key: Buffer): boolean {
    const pinned = publicKeyBlob(this.pinnedHostKey)?.blob.toString('base64') ?? '';
    return pinned !== '' && constantTimeEqual(key.toString('base64'), pinned);
  }
}
