import type { GroupRecord } from '../store/groupStore.js';

/** The group hierarchy, for "is this group inside that one" questions. */
export class GroupTree {
  private readonly byId: Map<string, GroupRecord>;

  constructor(groups: readonly GroupRecord[]) {
    this.byId = new Map(groups.map((g) => [g.id, g]));
  }

  /** Whether `groupId` is `ancestorId` or lies below it. */
  isWithin(groupId: string, ancestorId: string): boolean {
    // Bounded walk: a corrupted cycle must not hang a request.
    let current: string | null = groupId;
    for (let i = 0; current !== null && i < 64; i++) {
      if (current === ancestorId) return true;
      current = this.byId.get(current)?.parentId ?? null;
    }
    return false;
  }

  /** The ids of a group and everything below it. */
  subtree(groupId: string): string[] {
    return [...this.byId.keys()].filter((id) => this.isWithin(id, groupId));
  }

  /** One group. */
  get(id: string): GroupRecord | undefined {
    return this.byId.get(id);
  }

  /** Every group. */
  all(): GroupRecord[] {
    return [...this.byId.values()];
  }

  /** "customer/site" style path of a group, for display. */
  path(id: string): string {
    const names: string[] = [];
    let current = this.byId.get(id);
    for (let i = 0; current && i < 64; i++) {
      names.unshift(current.name);
      current = current.parentId ? this.byId.get(current.parentId) : undefined;
    }
    return names.join('/');
  }
}
