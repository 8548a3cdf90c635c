import { BurrowError } from '../../shared/errors.js';
import { matchesSelector, parseLabelSelector } from '../../shared/labelSelector.js';
import { listNodes } from '../store/nodeStore.js';
import { groupParam, type RequestAccess } from './accessOf.js';
import type { ApiDeps } from './apiDeps.js';
import { nodeParam } from './routes/nodeRoutes.js';

/**
 * The approved nodes a job with a label selector goes to: those matching the selector
 * among the nodes the caller may operate (within `groupRef` when given), and the group the
 * job belongs to: `groupRef`, else the deepest group the caller operates that holds them all.
 */
export async function selectorTargets(d: Pick<ApiDeps, 'db'>, a: RequestAccess, selectorText: string, groupRef?: string): Promise<{ groupId: string; nodeIds: string[] }> {
  const selector = parseLabelSelector(selectorText);
  const group = groupRef === undefined ? undefined : await groupParam(d.db, a, groupRef, 'operator');
  // Authorization per node: only nodes in groups the caller operates are ever considered.
  const operated = new Set(a.groups('operator'));
  const matched = (await listNodes(d.db)).filter(
    (n) => n.status === 'approved' && operated.has(n.groupId) && (!group || a.tree.isWithin(n.groupId, group.id)) && matchesSelector(n.labels, selector),
  );
  if (matched.length === 0) throw new BurrowError('VALIDATION', `No approved node you may operate${groupRef === undefined ? '' : ` in group ${groupRef}`} matches the selector ${selectorText}.`);
  const nodeIds = matched.map((n) => n.id);
  if (group) return { groupId: group.id, nodeIds };
  const groupId = commonOperatedGroup(a, matched.map((n) => n.groupId));
  if (groupId === undefined) throw new BurrowError('VALIDATION', `The nodes matching ${selectorText} lie in groups with no common group you operate; name a group as well.`);
  return { groupId, nodeIds };
}

/**
 * The nodes a job chosen node by node goes to (the console's bulk action): each must be an
 * approved node the caller operates; the job belongs to the deepest group the caller
 * operates that holds them all.
 */
export async function listedTargets(d: ApiDeps, a: RequestAccess, refs: readonly string[]): Promise<{ groupId: string; nodeIds: string[] }> {
  const nodes = [];
  for (const ref of new Set(refs)) {
    const node = await nodeParam(d, a, ref, 'operator');
    if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}.`);
    nodes.push(node);
  }
  const groupId = commonOperatedGroup(a, nodes.map((n) => n.groupId));
  if (groupId === undefined) throw new BurrowError('VALIDATION', 'The chosen nodes lie in groups with no common group you operate; run one job per group.');
  return { groupId, nodeIds: [...new Set(nodes.map((n) => n.id))] };
}

/** The deepest group the caller operates that holds every one of `groupIds`. */
function commonOperatedGroup(a: RequestAccess, groupIds: readonly string[]): string | undefined {
  const operated = new Set(a.groups('operator'));
  for (let g = a.tree.get(groupIds[0] as string); g; g = g.parentId ? a.tree.get(g.parentId) : undefined) {
    const id = g.id;
    if (operated.has(id) && groupIds.every((x) => a.tree.isWithin(x, id))) return id;
  }
  return undefined;
}
