import { parseSshKey } from '../shared/sshKeys.js';
import type { Clock } from '../shared/clock.js';
import { BurrowError } from '../shared/errors.js';
import { parseEnrollToken, type EnrollRequest, type EnrollResponse } from '../shared/enrollProtocol.js';
import { newId, newSecretToken, sha256Hex } from '../shared/secrets.js';
import { formatEnrollToken } from '../shared/enrollProtocol.js';
import { appendAudit, recordAudit } from './store/auditStore.js';
import type { Database } from './store/database.js';
import { consumeEnrollToken, getEnrollTokenByHash, insertEnrollToken } from './store/enrollTokenStore.js';
import { getNode, getNodeByKey, insertNode } from './store/nodeStore.js';
import { awaitsEnrollment, completePreregisteredNode } from './store/preregisteredNodeStore.js';

/** What the server tells a node at enrollment besides its id. */
export interface EnrollContext {
  db: Database;
  clock: Clock;
  sshHostKeyPub: string;
  tunnelUrl: string;
}

/**
 * Registers a node that presents a valid enrollment token and a fresh ed25519 key.
 * Spending the token use, adding the node and auditing happen in one transaction, so a
 * refused or failed enrollment changes nothing.
 */
export async function enrollNode(c: EnrollContext, req: EnrollRequest, sourceIp: string): Promise<EnrollResponse> {
  const parsed = parseEnrollToken(req.token);
  const token = parsed ? await getEnrollTokenByHash(c.db, sha256Hex(parsed.secret)) : undefined;
  const now = c.clock.now();
  const deny = async (message: string): Promise<never> => {
    await recordAudit(c.db, { actor: 'anonymous', sourceIp, action: 'node.enroll', target: req.name, result: 'denied', groupId: token?.groupId ?? null, detail: { reason: message } }, now);
    throw new BurrowError('ENROLL_TOKEN_INVALID', message);
  };
  if (!token) return deny('The enrollment token is not valid.');
  if (token.revokedAt !== null) return deny('The enrollment token was revoked.');
  if (token.expiresAt <= now) return deny('The enrollment token has expired.');
  if (token.uses >= token.maxUses) return deny('The enrollment token has been used up.');

  const key = parseSshKey(req.publicKey);
  if (key instanceof Error || key.type !== 'ssh-ed25519') {
    throw new BurrowError('VALIDATION', 'The public key is not a valid ssh-ed25519 key.');
  }
  const publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}`;
  if (await getNodeByKey(c.db, publicKey)) throw new BurrowError('ENROLL_KEY_IN_USE', 'This key is already enrolled; make a new key to enroll again.');

  if (token.nodeId !== null) return enrollPreregistered(c, { ...req, publicKey }, token.id, token.nodeId, sourceIp, deny);

  const nodeId = newId('nd');
  const status = token.autoApprove ? 'approved' : 'pending';
  await c.db.transaction(async (tx) => {
    if (!(await consumeEnrollToken(tx, token.id, now))) throw new BurrowError('ENROLL_TOKEN_INVALID', 'The enrollment token has been used up.');
    await insertNode(tx, {
      id: nodeId,
      name: req.name,
      groupId: token.groupId,
      publicKey,
      status,
      services: req.services,
      agentVersion: req.agentVersion ?? null,
      createdAt: now,
      enrolledBy: token.id,
      labels: req.labels ?? {},
    });
    await appendAudit(tx, { actor: nodeId, sourceIp, action: 'node.enroll', target: nodeId, result: 'ok', groupId: token.groupId, detail: { name: req.name, status, tokenId: token.id, ...(req.labels ? { labels: req.labels } : {}) } }, now);
  });
  return { nodeId, status, sshHostKey: c.sshHostKeyPub, tunnelUrl: c.tunnelUrl };
}

/**
 * Enrollment with a token bound to an imported node: the agent becomes that node, approved
 * at once (an administrator listed it), with the services of its import line. The name
 * must be the node's: a token handed to the wrong device is refused rather than making one
 * appliance another's node. The node must still wait for its agent, neither deleted nor
 * revoked meanwhile.
 */
async function enrollPreregistered(c: EnrollContext, req: EnrollRequest, tokenId: string, nodeId: string, sourceIp: string, deny: (message: string) => Promise<never>): Promise<EnrollResponse> {
  const node = await getNode(c.db, nodeId);
  if (!node || node.deletedAt !== null || node.status === 'revoked' || !awaitsEnrollment(node.publicKey)) return deny('The enrollment token belongs to a node that was deleted, revoked or already enrolled.');
  if (node.name !== req.name) return deny(`This enrollment token belongs to node ${node.name}; enroll with --name ${node.name}.`);
  const now = c.clock.now();
  await c.db.transaction(async (tx) => {
    if (!(await consumeEnrollToken(tx, tokenId, now))) throw new BurrowError('ENROLL_TOKEN_INVALID', 'The enrollment token has been used up.');
    if (!(await completePreregisteredNode(tx, { nodeId, publicKey: req.publicKey, agentVersion: req.agentVersion ?? null, tokenId }))) {
      throw new BurrowError('ENROLL_TOKEN_INVALID', 'The enrollment token belongs to a node that was deleted, revoked or already enrolled.');
    }
    await appendAudit(tx, { actor: nodeId, sourceIp, action: 'node.enroll', target: nodeId, result: 'ok', groupId: node.groupId, detail: { name: node.name, status: 'approved', tokenId, preregistered: true } }, now);
  });
  return { nodeId, status: 'approved', sshHostKey: c.sshHostKeyPub, tunnelUrl: c.tunnelUrl, services: node.serviceTargets };
}

/** Options of a new enrollment token. */
export interface NewEnrollToken {
  groupId: string;
  maxUses: number;
  ttlMs: number;
  autoApprove: boolean;
  createdBy: string;
  sourceIp: string;
}

/** Makes an enrollment token; the returned secret is shown once and never stored. */
export async function createEnrollToken(
  db: Database,
  clock: Clock,
  tlsPin: string,
  o: NewEnrollToken,
): Promise<{ id: string; token: string; expiresAt: number }> {
  const secret = newSecretToken('x').slice(2);
  const id = newId('et');
  const now = clock.now();
  const expiresAt = now + o.ttlMs;
  await db.transaction(async (tx) => {
    await insertEnrollToken(tx, {
      id,
      tokenHash: sha256Hex(secret),
      groupId: o.groupId,
      maxUses: o.maxUses,
      autoApprove: o.autoApprove,
      createdBy: o.createdBy,
      createdAt: now,
      expiresAt,
    });
    await appendAudit(tx, {
      actor: o.createdBy,
      sourceIp: o.sourceIp,
      action: 'enroll-token.create',
      target: id,
      result: 'ok',
      groupId: o.groupId,
      detail: { maxUses: o.maxUses, autoApprove: o.autoApprove, expiresAt },
    }, now);
  });
  return { id, token: formatEnrollToken(secret, tlsPin), expiresAt };
}
