import type { Clock, TimerHandle } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { appendAudit } from '../store/auditStore.js';
import type { Database, DedicatedConnection, Queryable } from '../store/database.js';
import { beatInstance, endInstance, getInstance, otherLiveInstances, registerInstance, type InstanceRecord } from '../store/instanceStore.js';
import { failInstanceTargets } from '../store/jobStore.js';
import { dropInstanceRoutes } from '../store/nodeRouteStore.js';
import { closeInstanceSessions } from '../store/sessionStore.js';
import type { ClusterBus } from './clusterBus.js';

/** What the registry needs. */
export interface InstanceRegistryDeps {
  db: Database;
  /** Carries `instance.dead` and `node.route`; its `instanceId` is this instance's id. */
  bus: ClusterBus;
  clock: Clock;
  log: Logger;
  /** Where other instances reach this one over the peer link; null without one. */
  peerUrl: string | null;
  heartbeatMs: number;
  /** A live instance whose heartbeat a survivor has not seen move for this long (on its own clock) is declared dead. */
  deadAfterMs: number;
  /**
   * This instance found itself declared dead (it stalled longer than `deadAfterMs`): the
   * store has closed its sessions and dropped its routes, so what it still holds live
   * (tunnels, session ports) no longer matches the store and must be let go.
   */
  onDeclaredDead?: () => void;
}

/**
 * This instance's row in `instances`: registered at start, heartbeated every `heartbeatMs`
 * on the injected clock, marked `stopped` on a clean shutdown. Each beat also sweeps: an
 * instance silent for `deadAfterMs` is declared dead by whichever survivor gets there first,
 * in one write transaction (its sessions closed as `instance-lost`, its routes dropped, its
 * running job targets failed, one `instance.dead` audit entry), then `instance.dead` is published.
 *
 * Silence is judged on the survivor's own clock, never by comparing another host's heartbeat
 * stamp with it: hosts whose clocks are apart would otherwise declare each other dead. Each
 * survivor remembers every other instance's heartbeat value and when it last saw that value
 * change; one unchanged for `deadAfterMs` (and over as many sweeps) is silent (a survivor
 * that just started has seen nothing change yet, so it watches that long first), and the
 * claim only succeeds if the heartbeat is still the value it saw, so a beat in between wins. (Stamping and judging with
 * the database's clock would also do, but SQLite has no clock shared with the FakeClock tests.)
 *
 * The heartbeat goes over a connection of its own (`Database.dedicated`): a pool saturated by
 * slow reads or a reconnect storm must not hold it back until others declare this one dead.
 * The sweep runs beside the beats, not before the next one, for the same reason.
 */
export class InstanceRegistry {
  private timer?: TimerHandle;
  private beating?: Promise<void>;
  private sweeping?: Promise<void>;
  private state: 'initial' | 'running' | 'closed' = 'initial';
  private heartbeatLine?: DedicatedConnection;
  /**
   * Per other live instance: its heartbeat as last read, when (on this clock) it was first
   * read at that value, and how many sweeps have read it unchanged since.
   */
  private readonly seen = new Map<string, { heartbeatAt: number; since: number; looks: number }>();

  constructor(private readonly deps: InstanceRegistryDeps) {
    if (deps.heartbeatMs <= 0) throw new BurrowError('CONFIG_INVALID', 'instanceHeartbeatMs must be positive.');
    if (deps.deadAfterMs < 2 * deps.heartbeatMs) {
      throw new BurrowError('CONFIG_INVALID', `instanceDeadAfterMs (${deps.deadAfterMs}) must be at least twice instanceHeartbeatMs (${deps.heartbeatMs}), or one late heartbeat would declare a live instance dead.`);
    }
  }

  /** This instance's id. */
  get instanceId(): string {
    return this.deps.bus.instanceId;
  }

  /**
   * Registers this instance as live and drops the routes a previous run of it left (its
   * tunnels died with that run), telling the other instances; then heartbeats.
   */
  async start(): Promise<void> {
    if (this.state !== 'initial') throw new Error('InstanceRegistry.start() called twice');
    await this.refuseTwin();
    this.state = 'running';
    this.heartbeatLine = this.deps.db.dedicated(`burrow heartbeat ${this.instanceId}`);
    await this.register();
    // Starts watching the others now: none is judged silent before it was watched for deadAfterMs.
    await this.sweep();
    this.schedule();
  }

  /** Resolves once the beat and the sweep under way, if any, have finished. */
  async idle(): Promise<void> {
    while (this.beating ?? this.sweeping) await (this.beating ?? this.sweeping);
  }

  /**
   * Stops heartbeating, drops this instance's remaining routes and marks it `stopped`, so no
   * survivor needs to declare it dead. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closed';
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    await this.idle();
    await this.heartbeatLine?.close();
    if (!wasRunning) return;
    const dropped = await this.deps.db.transaction(async (tx) => {
      const nodes = await dropInstanceRoutes(tx, this.instanceId);
      await endInstance(tx, this.instanceId, 'stopped');
      return nodes;
    });
    await this.announceGone(dropped);
  }

  /**
   * Declares dead every other live instance whose heartbeat this one has not seen move for
   * longer than `deadAfterMs`; returns the ids this instance declared (none when another
   * survivor got there first, or the instance beat after it was read).
   */
  async sweep(): Promise<string[]> {
    const { db, bus, clock, log, deadAfterMs } = this.deps;
    // The read may wait (for the pool): silence counts up to before it, a change from after it.
    const readFrom = clock.now();
    // A read first: the write transaction (which all instances share one lock for) only when needed.
    const live = await otherLiveInstances(db, this.instanceId);
    const now = clock.now();
    const silent: InstanceRecord[] = [];
    const current = new Set<string>();
    for (const i of live) {
      current.add(i.id);
      const last = this.seen.get(i.id);
      if (last?.heartbeatAt !== i.heartbeatAt) {
        this.seen.set(i.id, { heartbeatAt: i.heartbeatAt, since: now, looks: 0 });
        continue;
      }
      last.looks += 1;
      // The clock is the wall clock, which NTP may step forward; sweeps come a heartbeat apart on
      // timers it does not move, so enough unchanged looks must back the time it says passed.
      if (readFrom - last.since > deadAfterMs && last.looks * this.deps.heartbeatMs > deadAfterMs) silent.push(i);
    }
    for (const id of this.seen.keys()) if (!current.has(id)) this.seen.delete(id);
    const declared: string[] = [];
    for (const s of silent) {
      const outcome = await db.transaction((tx) => this.declareDead(tx, s, now));
      if (!outcome) continue;
      declared.push(s.id);
      this.seen.delete(s.id);
      log.warn({ instance: s.id, lastHeartbeat: new Date(s.heartbeatAt).toISOString(), ...outcome }, 'declared a silent instance dead');
      await bus.publish('instance.dead', { instanceId: s.id });
    }
    return declared;
  }

  private async declareDead(tx: Queryable, s: InstanceRecord, now: number): Promise<{ sessions: number; routes: number; jobTargets: number } | undefined> {
    // The claim: only one survivor moves it from live, and not if it beat since it was read.
    if (!(await endInstance(tx, s.id, 'dead', s.heartbeatAt))) return undefined;
    const sessions = await closeInstanceSessions(tx, now, s.id);
    const routes = (await dropInstanceRoutes(tx, s.id)).length;
    const jobTargets = await failInstanceTargets(tx, now, s.id);
    await appendAudit(tx, {
      actor: 'system',
      action: 'instance.dead',
      objectType: 'instance',
      target: s.id,
      result: 'ok',
      detail: { declaredBy: this.instanceId, lastHeartbeat: new Date(s.heartbeatAt).toISOString(), sessions, routes, jobTargets },
    }, now);
    return { sessions, routes, jobTargets };
  }

  /**
   * Refuses to start as an instance that another process runs as. A home copied, or restored
   * from a running instance's backup, keeps that instance's id; registering would drop the
   * routes and (at start) close the sessions of the instance still running, and the two would
   * then beat one row. A row still live and recent belongs to such a twin or to a run of this
   * home that crashed: the twin's heartbeat moves within two heartbeats, the crashed one's not.
   * Only on a store several processes share: SQLite lives in the home, whose lock keeps a
   * second process out.
   */
  private async refuseTwin(): Promise<void> {
    const { db, clock, heartbeatMs, deadAfterMs } = this.deps;
    if (db.engine === 'sqlite') return;
    const seen = await getInstance(db, this.instanceId);
    if (seen?.state !== 'live' || clock.now() - seen.heartbeatAt >= deadAfterMs) return;
    this.deps.log.info({ instance: this.instanceId }, 'this instance is recorded live with a recent heartbeat; watching it for two heartbeats before taking it over');
    await new Promise<void>((resolve) => {
      clock.setTimeout(resolve, 2 * heartbeatMs);
    });
    const now = await getInstance(db, this.instanceId);
    if (now?.state === 'live' && now.heartbeatAt !== seen.heartbeatAt) {
      throw new BurrowError(
        'CONFIG_INVALID',
        `Instance ${this.instanceId} is running in another process: its heartbeat moved in the store while this one waited. A home copied or restored from a running instance shares its id; stop the other one first, or make a new instance with "burrow server init --join".`,
      );
    }
  }

  private async register(): Promise<void> {
    const { db, clock, peerUrl } = this.deps;
    const dropped = await db.transaction(async (tx) => {
      await registerInstance(tx, { id: this.instanceId, peerUrl, now: clock.now() });
      return dropInstanceRoutes(tx, this.instanceId);
    });
    await this.announceGone(dropped);
  }

  /** Tells every instance that these nodes' routes through this one are gone. */
  private async announceGone(nodeIds: readonly string[]): Promise<void> {
    for (const nodeId of nodeIds) await this.deps.bus.publish('node.route', { nodeId, instanceId: this.instanceId, online: false, services: [] });
  }

  private schedule(): void {
    if (this.state !== 'running') return;
    this.timer = this.deps.clock.setTimeout(() => {
      const work = this.beat()
        .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'instance heartbeat failed'))
        .finally(() => {
          this.startSweep();
          this.beating = undefined;
          this.schedule();
        });
      this.beating = work;
    }, this.deps.heartbeatMs);
  }

  /** Sweeps beside the beats (one sweep at a time): a sweep waiting for the pool must not delay the next beat. */
  private startSweep(): void {
    if (this.state !== 'running' || this.sweeping) return;
    this.sweeping = this.sweep()
      .then(() => undefined)
      .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'instance sweep failed'))
      .finally(() => (this.sweeping = undefined));
  }

  private async beat(): Promise<void> {
    const { clock, log } = this.deps;
    if (!this.heartbeatLine || !(await beatInstance(this.heartbeatLine, this.instanceId, clock.now()))) {
      // Declared dead while stalled (or the row went): come back as a new life of this
      // instance, after letting go of what the store no longer records as ours.
      log.error({ instance: this.instanceId }, 'this instance was declared dead by another while it stalled; dropping its tunnels and sessions and registering again');
      this.deps.onDeclaredDead?.();
      await this.register();
    }
  }
}
