import type { GroupTree } from '../auth/groupTree.js';

/**
 * A group's path as node CSVs write it: `/` for the root, `/acme/site-1` below it. The
 * root's own name is left out, so a file reads the same on every server.
 */
export function csvGroupPath(tree: GroupTree, groupId: string): string {
  const names: string[] = [];
  let current = tree.get(groupId);
  for (let i = 0; current && current.parentId !== null && i < 64; i++) {
    names.unshift(current.name);
    current = tree.get(current.parentId);
  }
  return `/${names.join('/')}`;
}

/** Every group of the tree by its CSV path. */
export function groupsByCsvPath(tree: GroupTree): Map<string, string> {
  return new Map(tree.all().map((g) => [csvGroupPath(tree, g.id), g.id]));
}
