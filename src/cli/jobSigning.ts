import { randomBytes, sign } from 'node:crypto';
import type { JobManifest, SignedAction } from '../shared/jobManifest.js';
import { readSigningKey } from './inputFiles.js';
import { BurrowError } from '../shared/errors.js';
import type { NodeView } from '../shared/protocol.js';
import type { AdminClient } from './adminClient.js';

/** The node or group a job is submitted for, as the user named it. */
export interface JobTarget {
  node?: string | undefined;
  group?: string | undefined;
}

interface GroupView {
  id: string;
  name: string;
  parent: string | null;
}

/**
 * The ids of the nodes a job for `target` goes to, as the server will pick them: the node
 * itself, or every approved node of the group and its subgroups. They go into the manifest
 * because a node knows its own id but not its group.
 */
async function targetNodeIds(api: AdminClient, target: JobTarget): Promise<string[]> {
  if (target.node !== undefined) return [(await api.call<NodeView>('GET', `/v1/nodes/${encodeURIComponent(target.node)}`)).id];
  const name = target.group as string;
  const groups = await api.call<GroupView[]>('GET', '/v1/groups');
  const named = groups.filter((g) => g.name === name);
  const group = groups.find((g) => g.id === name) ?? (named.length === 1 ? named[0] : undefined);
  if (!group) throw new BurrowError('NOT_FOUND', `No group ${name}.`);
  const within = new Set([group.id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const g of groups) {
      if (g.parent !== null && within.has(g.parent) && !within.has(g.id)) {
        within.add(g.id);
        grew = true;
      }
    }
  }
  return (await api.call<NodeView[]>('GET', '/v1/nodes')).filter((n) => n.status === 'approved' && within.has(n.group)).map((n) => n.id);
}

/**
 * Builds the manifest of a job (its exact action, the nodes it is for, an expiry and a
 * fresh nonce) and signs its text with the ed25519 private key in `keyFile`.
 */
export async function signJob(api: AdminClient, target: JobTarget, action: SignedAction, expiresInMs: number, keyFile: string): Promise<{ manifest: string; signature: string }> {
  const key = await readSigningKey(keyFile);
  const nodes = await targetNodeIds(api, target);
  if (nodes.length === 0) throw new BurrowError('VALIDATION', `Group ${target.group ?? ''} has no approved nodes.`);
  const m: JobManifest = {
    v: 1,
    nonce: randomBytes(16).toString('hex'),
    ...action,
    target: target.node !== undefined ? { node: target.node } : { group: target.group as string },
    nodes,
    expiresAt: Date.now() + expiresInMs,
  };
  const manifest = JSON.stringify(m);
  return { manifest, signature: sign(null, Buffer.from(manifest, 'utf8'), key).toString('base64') };
}
