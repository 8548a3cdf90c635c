import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Queryable } from '../store/database.js';
import { listGroups } from '../store/groupStore.js';
import type { Access } from './access.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { AuthorityChange, AuthorityEndReason } from './authorityBus.js';
import { currentAuthority, type Credential, type CurrentAuthority } from './currentAuthority.js';
import { GroupTree } from './groupTree.js';

/** Something long-lived that runs on a user's authority: a terminal, a session, an event stream. */
export interface AuthorityHolder {
  credential: Credential;
  /** Whether the caller's authority as it stands now still allows what is held. */
  allows(access: Access, tree: GroupTree): boolean;
  /** Ends what is held, because its authority ended; called at most once. */
  end(reason: AuthorityEndReason): void;
  /** Whether it ended on its own meanwhile (then the watch forgets it). */
  done?(): boolean | Promise<boolean>;
  /** The node it runs on, when it runs on one: a move of that node re-checks it. */
  nodeId?: string;
  /** Told the node's new group when the node moved, before the re-check. */
  nodeMovedTo?(groupId: string): void;
}

/** Dependencies of the watch. */
export interface AuthorityWatchDeps {
  db: Queryable;
  clock: Clock;
  log: Logger;
  /** Carries changes to the watches of every instance (the `authority` topic). */
  bus: ClusterBus;
  /** The safety net: every holder is re-checked this often, signal or not (default 5 s). */
  recheckMs?: number;
}

/** Reasons that say the credential itself went; a signal names which way it went. */
const CREDENTIAL_GONE = new Set<AuthorityEndReason>(['logout', 'token-revoked', 'totp-reset', 'password-changed', 'password-reset']);

/**
 * Ends long-lived connections when the authority that allowed them ends: on a signal from
 * the cluster bus (logout, disable, grant removed, token revoked, on any instance) for the
 * user concerned at once, and for everyone every `recheckMs` for what has no signal (a
 * token expiring) or a signal that got lost. Each holder's credential is read afresh and its grants re-evaluated.
 */
export class AuthorityWatch {
  private readonly holders = new Set<AuthorityHolder>();
  private readonly versions = new Map<string, number>();
  private readonly unsubscribe: (() => void)[];
  private timer: TimerHandle | undefined;
  private sweeping: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly deps: AuthorityWatchDeps) {
    this.unsubscribe = [
      deps.bus.subscribe('authority', (c) => this.onChange(c)),
      // Signals sent while the bus was cut are lost: re-check everyone rather than wait for the sweep.
      deps.bus.onResync?.(() => void this.recheckAll()) ?? (() => undefined),
    ];
    this.schedule();
  }

  /** Announces a change to a user's authority to the watches of every instance. */
  changed(change: AuthorityChange): void {
    // Holders here hear it at once; should the bus fail, other instances' sweeps catch up.
    this.deps.bus.publish('authority', change).catch((err: Error) => this.deps.log.warn({ err: err.message }, 'could not announce an authority change to other instances'));
  }

  /** Watches a holder until it ends or `release` is called. */
  hold(holder: AuthorityHolder): () => void {
    this.holders.add(holder);
    return () => {
      this.holders.delete(holder);
    };
  }

  /**
   * A counter that moves whenever a change for the user arrives: a holder that caches what
   * the user may see compares it per delivery and re-reads only when it moved.
   */
  version(userId: string): number {
    return this.versions.get(userId) ?? 0;
  }

  /** What a credential may do now, and the group tree to read it against. */
  async current(c: Credential): Promise<{ authority: CurrentAuthority; tree: GroupTree }> {
    const [authority, groups] = await Promise.all([currentAuthority(this.deps.db, this.deps.clock, c), listGroups(this.deps.db)]);
    return { authority, tree: new GroupTree(groups) };
  }

  /**
   * A node moved to another group: whatever runs on it re-checks against the new group at
   * once, so users who may not operate there lose their sessions and terminals on it.
   */
  async nodeMoved(nodeId: string, groupId: string): Promise<void> {
    const onNode = [...this.holders].filter((h) => h.nodeId === nodeId);
    for (const h of onNode) h.nodeMovedTo?.(groupId);
    await this.recheck(onNode);
  }

  /** Re-checks every holder now (the periodic safety net; also for tests). */
  async recheckAll(): Promise<void> {
    await this.recheck([...this.holders]);
  }

  /** Stops watching; holders are left to whoever closes them. */
  close(): void {
    this.closed = true;
    for (const u of this.unsubscribe) u();
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.holders.clear();
  }

  private onChange(c: AuthorityChange): void {
    this.versions.set(c.userId, this.version(c.userId) + 1);
    const mine = [...this.holders].filter((h) => h.credential.userId === c.userId);
    if (mine.length) void this.recheck(mine, c.reason);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.deps.clock.setTimeout(() => {
      // One sweep at a time: a slow store must not pile sweeps up.
      this.sweeping ??= this.recheckAll().finally(() => {
        this.sweeping = undefined;
      });
      this.schedule();
    }, this.deps.recheckMs ?? 5_000);
  }

  private async recheck(holders: AuthorityHolder[], signalled?: AuthorityEndReason): Promise<void> {
    const byCredential = new Map<string, Promise<{ authority: CurrentAuthority; tree: GroupTree }>>();
    await Promise.all(holders.map(async (h) => {
      try {
        if (await h.done?.()) {
          this.holders.delete(h);
          return;
        }
        const key = `${h.credential.via}:${h.credential.credentialId}`;
        let now = byCredential.get(key);
        if (!now) byCredential.set(key, (now = this.current(h.credential)));
        const { authority, tree } = await now;
        let reason: AuthorityEndReason | undefined;
        if (!authority.ok) reason = signalled && CREDENTIAL_GONE.has(signalled) && CREDENTIAL_GONE.has(authority.reason) ? signalled : authority.reason;
        else if (!h.allows(authority.access, tree)) reason = 'grant-removed';
        if (!reason || !this.holders.delete(h)) return;
        h.end(reason);
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message }, 'authority re-check failed');
      }
    }));
  }
}
