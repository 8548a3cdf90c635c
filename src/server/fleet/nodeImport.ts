import type { Clock } from '../../shared/clock.js';
import type { ImportedNode, NodeImportReport } from '../../shared/fleetImport.js';
import { formatEnrollToken } from '../../shared/enrollProtocol.js';
import { newId, newSecretToken, sha256Hex } from '../../shared/secrets.js';
import { roleOn, type Access } from '../auth/access.js';
import type { GroupTree } from '../auth/groupTree.js';
import { appendAudit } from '../store/auditStore.js';
import type { Database, Queryable } from '../store/database.js';
import { listNodes } from '../store/nodeStore.js';
import { insertPreregisteredNode } from '../store/preregisteredNodeStore.js';
import { groupsByCsvPath } from './groupPath.js';
import { readNodeCsv, type LineProblem, type NodeLine } from './nodeCsv.js';

/** Who imports, and how the server names itself in enroll commands. */
export interface NodeImportContext {
  db: Database;
  clock: Clock;
  tlsPin: string;
  publicUrl: string;
  userId: string;
  access: Access;
  tree: GroupTree;
  sourceIp: string;
}

/** What the importer asked for. */
export interface NodeImportOptions {
  /** Check only: nothing is written. */
  dryRun: boolean;
  /** Import the good lines even when some are bad (the bad ones are reported, not imported). */
  skipBad: boolean;
  /** How long each node's enrollment token lives. */
  tokenTtlMs: number;
}

export type { ImportedNode, NodeImportReport } from '../../shared/fleetImport.js';

interface Planned {
  line: NodeLine;
  groupId: string;
}

/**
 * Checks each line against the fleet: its group exists and the importer administers it,
 * its name is free in that group. A group the importer cannot see reads as unknown, so an
 * import never tells another customer's groups apart from missing ones.
 */
async function plan(q: Queryable, c: NodeImportContext, lines: NodeLine[]): Promise<{ planned: Planned[]; problems: LineProblem[] }> {
  const byPath = groupsByCsvPath(c.tree);
  const taken = new Set((await listNodes(q)).map((n) => `${n.groupId}\u0000${n.name}`));
  const planned: Planned[] = [];
  const problems: LineProblem[] = [];
  for (const line of lines) {
    const groupId = byPath.get(line.group);
    const role = groupId === undefined ? undefined : roleOn(c.access, c.tree, groupId);
    if (groupId === undefined || role === undefined) problems.push({ line: line.line, message: `unknown group ${line.group}` });
    else if (role !== 'admin') problems.push({ line: line.line, message: `you are not an admin of group ${line.group}` });
    else if (taken.has(`${groupId}\u0000${line.name}`)) problems.push({ line: line.line, message: `duplicate name ${line.name}: group ${line.group} already has a node of that name` });
    else planned.push({ line, groupId });
  }
  return { planned, problems };
}

/** The narrowest group holding all of `groupIds`, so the import's audit entry reaches their admins. */
function commonGroup(tree: GroupTree, groupIds: string[]): string | null {
  const [first, ...rest] = groupIds;
  let candidate = first === undefined ? undefined : tree.get(first);
  for (let i = 0; candidate && i < 64; i++) {
    const id = candidate.id;
    if (rest.every((g) => tree.isWithin(g, id))) return id;
    candidate = candidate.parentId === null ? undefined : tree.get(candidate.parentId);
  }
  return null;
}

const view = (p: Planned): ImportedNode => ({ line: p.line.line, name: p.line.name, group: p.line.group, services: Object.keys(p.line.services).sort(), mode: p.line.mode.mode, labels: p.line.labels });

/**
 * Imports a node CSV: every line is checked first; unless `skipBad`, one bad line refuses
 * the whole file. The nodes, their bound tokens and the audit entries are written in one
 * transaction (the fleet checks run inside it too, so a node enrolled meanwhile cannot
 * slip in a duplicate): all of a file's nodes land, or none.
 */
export async function importNodes(c: NodeImportContext, text: string, o: NodeImportOptions): Promise<NodeImportReport> {
  const csv = readNodeCsv(text);
  const now = c.clock.now();
  return c.db.transaction(async (tx) => {
    const { planned, problems } = await plan(tx, c, csv.lines);
    const errors = [...csv.problems, ...problems].sort((a, b) => a.line - b.line);
    const total = csv.lines.length + csv.problems.length;
    const refused = errors.length > 0 && !o.skipBad;
    if (o.dryRun || refused || planned.length === 0) return { dryRun: o.dryRun, imported: false, total, nodes: planned.map(view), errors };
    const expiresAt = now + o.tokenTtlMs;
    const nodes: ImportedNode[] = [];
    for (const p of planned) {
      const secret = newSecretToken('x').slice(2);
      const id = newId('nd');
      const tokenId = newId('et');
      const mode = p.line.mode;
      await insertPreregisteredNode(tx, {
        id,
        name: p.line.name,
        groupId: p.groupId,
        mode: mode.mode,
        proposedMode: mode.mode === 'on-demand' ? JSON.stringify(mode) : null,
        services: p.line.services,
        labels: p.line.labels,
        token: { id: tokenId, tokenHash: sha256Hex(secret), expiresAt },
        createdBy: c.userId,
      }, now);
      await appendAudit(tx, { actor: c.userId, sourceIp: c.sourceIp, action: 'node.preregister', target: id, result: 'ok', groupId: p.groupId, detail: { name: p.line.name, group: p.line.group, tokenId, services: Object.keys(p.line.services), mode: mode.mode, labels: p.line.labels, expiresAt } }, now);
      const token = formatEnrollToken(secret, c.tlsPin);
      nodes.push({ ...view(p), id, token, enrollCommand: `burrow node enroll ${c.publicUrl} --token ${token} --name ${p.line.name}`, expiresAt: new Date(expiresAt).toISOString() });
    }
    const groupId = commonGroup(c.tree, planned.map((p) => p.groupId));
    await appendAudit(tx, { actor: c.userId, sourceIp: c.sourceIp, action: 'node.import', result: 'ok', groupId, detail: { lines: total, created: nodes.length, skipped: errors.length, badLines: errors.map((e) => e.line) } }, now);
    return { dryRun: false, imported: true, total, nodes, errors };
  });
}
