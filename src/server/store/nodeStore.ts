import type { Queryable } from './database.js';

/** A node row mapped to its type. */
export interface NodeRecord {
  id: string;
  name: string;
  groupId: string;
  publicKey: string;
  status: 'pending' | 'approved' | 'revoked';
  mode: 'always-on' | 'on-demand';
  services: string[];
  agentVersion: string | null;
  createdAt: number;
  lastSeenAt: number | null;
  /** When an on-demand node said it will connect next. */
  nextCheckInAt: number | null;
  /** A mode proposed from the API, as JSON text, until the node reports it applied. */
  proposedMode: string | null;
  /** A rotated key registered over the tunnel, not yet used to sign in. */
  nextPublicKey: string | null;
  /** When the node last registered a rotated key. */
  keyRegisteredAt: number | null;
  /** Labels (key=value) an administrator or the enrollment gave it. */
  labels: Record<string, string>;
  /** When it was deleted; a deleted node is kept only for its key and its audit trail. */
  deletedAt: number | null;
  /** Targets of its services (name -> target) when the server knows them: set by a CSV import. */
  serviceTargets: Record<string, string>;
}

interface Row {
  id: string;
  name: string;
  group_id: string;
  public_key: string;
  status: NodeRecord['status'];
  mode: NodeRecord['mode'];
  services: string;
  agent_version: string | null;
  created_at: number;
  last_seen_at: number | null;
  next_check_in_at: number | null;
  proposed_mode: string | null;
  next_public_key: string | null;
  key_registered_at: number | null;
  labels: string;
  deleted_at: number | null;
  service_targets: string;
}

const toRecord = (r: Row): NodeRecord => ({
  id: r.id,
  name: r.name,
  groupId: r.group_id,
  publicKey: r.public_key,
  status: r.status,
  mode: r.mode,
  services: JSON.parse(r.services) as string[],
  agentVersion: r.agent_version,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  nextCheckInAt: r.next_check_in_at,
  proposedMode: r.proposed_mode,
  nextPublicKey: r.next_public_key,
  keyRegisteredAt: r.key_registered_at,
  labels: JSON.parse(r.labels) as Record<string, string>,
  deletedAt: r.deleted_at,
  serviceTargets: JSON.parse(r.service_targets) as Record<string, string>,
});

/** Adds a freshly enrolled node. */
export async function insertNode(
  q: Queryable,
  n: Omit<NodeRecord, 'lastSeenAt' | 'mode' | 'nextCheckInAt' | 'proposedMode' | 'nextPublicKey' | 'keyRegisteredAt' | 'labels' | 'deletedAt' | 'serviceTargets'> & { enrolledBy: string | null; labels?: Record<string, string> },
): Promise<void> {
  await q.run(
    'INSERT INTO nodes (id, name, group_id, public_key, status, services, agent_version, enrolled_by, created_at, labels) VALUES (?,?,?,?,?,?,?,?,?,?)',
    [n.id, n.name, n.groupId, n.publicKey, n.status, JSON.stringify(n.services), n.agentVersion, n.enrolledBy, n.createdAt, JSON.stringify(n.labels ?? {})],
  );
}

/** One node by id, a deleted one included (for its name in audit entries). */
export async function getNode(q: Queryable, id: string): Promise<NodeRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM nodes WHERE id = ?', [id]);
  return r && toRecord(r);
}

/** Every live node with this name: names are unique only within a group. */
export async function listNodesNamed(q: Queryable, name: string): Promise<NodeRecord[]> {
  return (await q.all<Row>('SELECT * FROM nodes WHERE name = ? AND deleted_at IS NULL ORDER BY id', [name])).map(toRecord);
}

/** The node that owns an SSH public key (OpenSSH line). */
export async function getNodeByKey(q: Queryable, publicKey: string): Promise<NodeRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM nodes WHERE public_key = ?', [publicKey]);
  return r && toRecord(r);
}

/** All live nodes by name; with `includeDeleted`, deleted ones too (to name them in old records). */
export async function listNodes(q: Queryable, o: { includeDeleted?: boolean } = {}): Promise<NodeRecord[]> {
  const where = o.includeDeleted ? '' : ' WHERE deleted_at IS NULL';
  return (await q.all<Row>(`SELECT * FROM nodes${where} ORDER BY name, id`)).map(toRecord);
}

/** Sets a node's approval status. */
export async function setNodeStatus(q: Queryable, id: string, status: NodeRecord['status']): Promise<void> {
  await q.run('UPDATE nodes SET status = ? WHERE id = ?', [status, id]);
}

/** Records what a node reported when it connected. */
export async function markNodeSeen(q: Queryable, id: string, at: number, services: string[]): Promise<void> {
  await q.run('UPDATE nodes SET last_seen_at = ?, services = ? WHERE id = ?', [at, JSON.stringify(services), id]);
}

/** Registers the key a node rotates to; its current key stays valid until it is used. */
export async function setNextPublicKey(q: Queryable, id: string, publicKey: string, at: number): Promise<void> {
  await q.run('UPDATE nodes SET next_public_key = ?, key_registered_at = ? WHERE id = ?', [publicKey, at, id]);
}

/** Makes the registered next key the node's key, retiring the old one. */
export async function promoteNextPublicKey(q: Queryable, id: string): Promise<void> {
  await q.run('UPDATE nodes SET public_key = next_public_key, next_public_key = NULL WHERE id = ? AND next_public_key IS NOT NULL', [id]);
}
