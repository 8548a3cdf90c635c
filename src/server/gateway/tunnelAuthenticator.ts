import { timingSafeEqual } from 'node:crypto';
import type { AuthContext } from 'ssh2';
import type { WebSocket } from 'ws';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { keyFingerprint, publicKeyBlob } from '../../shared/sshKeys.js';
import { verifySshSignature } from '../../shared/sshSigning.js';
import { TUNNEL_CLOSE } from '../../shared/tunnelClose.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import type { TunnelRefusal } from '../metrics/serverMetrics.js';
import { appendAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { getNode, promoteNextPublicKey, type NodeRecord } from '../store/nodeStore.js';
import type { PendingApprovals } from './pendingApprovals.js';

/** What deciding who may sign in over a tunnel needs. */
export interface TunnelAuthenticatorDeps {
  db: Database;
  log: Logger;
  clock: Clock;
  /** A tunnel not authenticated by then is cut: an idle pre-auth SSH peer otherwise holds a socket forever. */
  authTimeoutMs: number;
  /** Where a pending node's sign-in waits to be approved. */
  approvals?: PendingApprovals;
  /** How long a pending node's sign-in is held open, waiting for approval. */
  pendingHoldMs?: number;
  /** Audits refused tunnel authentications, rate-limited per node or address. */
  denials?: DenialRecorder;
  /** Told of every refused tunnel and why (metrics); unlike the audit, not rate-limited. */
  onRefused?: (reason: TunnelRefusal) => void;
}

/** The tunnel a node signs in over, as authentication sees it. */
export interface AuthenticatingLink {
  ws: WebSocket;
  ip: string;
  /** Marks the handshake done (authenticated or abandoned); idempotent. */
  settle: () => void;
}

/**
 * Decides who a tunnel's SSH client is: an approved node with its own key (or the rotated
 * key it registered, which its first use promotes) and a valid signature. Refusals are
 * counted and audited; a pending node's sign-in is held open for a while, awaiting approval.
 */
export class TunnelAuthenticator {
  constructor(private readonly deps: TunnelAuthenticatorDeps) {}

  /** Counts and audits a refused sign-in. */
  private refused(link: AuthenticatingLink | undefined, node: NodeRecord | undefined, username: string, reason: TunnelRefusal): void {
    this.deps.onRefused?.(reason);
    this.deps.denials?.denied({
      actor: node?.id ?? 'anonymous',
      sourceIp: link?.ip ?? null,
      action: 'tunnel.auth',
      objectType: 'node',
      target: node?.id ?? null,
      groupId: node?.groupId ?? null,
      detail: { reason, ...(node ? {} : { username: username.slice(0, 64) }) },
    });
  }

  /** Accepts only an approved node's own key with a valid signature; `admit` learns the node before ssh2 may emit `ready`. */
  async authenticate(ctx: AuthContext, link: AuthenticatingLink | undefined, lookup: (nodeId: string) => Promise<NodeRecord | undefined>, admit: (node: NodeRecord) => void): Promise<void> {
    if (ctx.method !== 'publickey') {
      ctx.reject(['publickey']);
      return;
    }
    const node = await lookup(ctx.username);
    // The node's key, or the one it registered while rotating (first use promotes it).
    // Compared as wire bytes: no key parsing for the many "would this key do?" queries.
    const matches = (line: string | null | undefined) => {
      const k = publicKeyBlob(line);
      const same = k !== undefined && ctx.key.algo === k.algo && ctx.key.data.length === k.blob.length && timingSafeEqual(ctx.key.data, k.blob);
      return same ? (line as string) : undefined;
    };
    const current = matches(node?.publicKey);
    const next = current ? undefined : matches(node?.nextPublicKey);
    const key = current ?? next;
    if (!node || !key) {
      this.refused(link, node, ctx.username, node ? 'wrong-key' : 'unknown-node');
      ctx.reject(['publickey']);
      return;
    }
    // Without a signature the client only asks whether this key would do.
    if (!ctx.signature) {
      ctx.accept();
      return;
    }
    if (!verifySshSignature(key, ctx.blob as Buffer, ctx.signature, ctx.hashAlgo)) {
      this.refused(link, node, ctx.username, 'bad-signature');
      ctx.reject(['publickey']);
      return;
    }
    // A pending node knocks until approved: that is waiting, not a refused attempt.
    const admitted = node.status === 'pending' ? await this.awaitApproval(node, link) : node;
    if (admitted.status === 'revoked') this.refused(link, node, ctx.username, 'revoked');
    if (admitted.status !== 'approved') {
      // Proven key owner, but not allowed in: tell it why over the WebSocket close frame,
      // which SSH's auth failure cannot carry.
      ctx.reject([]);
      const close = admitted.status === 'revoked' ? TUNNEL_CLOSE.revoked : TUNNEL_CLOSE.pending;
      link?.ws.close(close.code, close.reason);
      return;
    }
    if (next) {
      try {
        await this.promoteKey(node, link?.ip ?? 'unknown');
      } catch (err) {
        this.deps.log.warn({ nodeId: node.id, err: (err as Error).message }, 'could not promote the rotated key');
        ctx.reject(['publickey']);
        return;
      }
    }
    // Set before accepting: ssh2 may emit `ready` from inside accept().
    admit(admitted);
    ctx.accept();
  }

  /**
   * Holds a pending node's sign-in open for a while: approved meanwhile, it goes on at
   * once (the agent would otherwise learn only at its next knock). Returns the node as
   * it stands at the end of the wait.
   */
  private async awaitApproval(node: NodeRecord, link: AuthenticatingLink | undefined): Promise<NodeRecord> {
    const { approvals, pendingHoldMs } = this.deps;
    if (!approvals || !pendingHoldMs || !link) return node;
    // A held sign-in is not a handshake in progress: pending nodes waiting must not fill
    // the handshake slots that keep a reconnect storm in check.
    link.settle();
    // Answer before the authentication deadline cuts the link.
    const wait = approvals.wait(node.id, Math.min(pendingHoldMs, Math.floor((this.deps.authTimeoutMs * 2) / 3)));
    link.ws.once('close', wait.cancel);
    const approved = await wait.approved;
    link.ws.off('close', wait.cancel);
    if (!approved || link.ws.readyState !== link.ws.OPEN) return node;
    return (await getNode(this.deps.db, node.id).catch(() => undefined)) ?? node;
  }

  /** The node signed in with its rotated key: that key becomes its only key. */
  private async promoteKey(node: NodeRecord, ip: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.transaction(async (tx) => {
      await promoteNextPublicKey(tx, node.id);
      await appendAudit(tx, { actor: node.id, sourceIp: ip, action: 'node.key.rotate', target: node.id, result: 'ok', detail: { retired: keyFingerprint(node.publicKey), current: keyFingerprint(node.nextPublicKey ?? '') } }, now);
    });
    this.deps.log.info({ nodeId: node.id }, 'node switched to its rotated key; the old key is retired');
  }
}
