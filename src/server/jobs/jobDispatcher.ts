import { jobApprovalWhat } from '../../shared/approvalProtocol.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { JOBS_SERVICE, type JobResult, type JobTargetStatus } from '../../shared/protocol.js';
import type { ApprovalBroker } from '../approvals/approvalBroker.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { NodeRegistry } from '../gateway/nodeRegistry.js';
import { appendAudit } from '../store/auditStore.js';
import type { Database } from '../store/database.js';
import { approvalReceived, cancelAsked, CANCEL_ASKED, claimTarget, closePending, countFailed, finishTarget, jobsToExpire, markWaitingApproval, nextPendingJob, nodesWithPendingJobs, pendingTargetsOf, type JobRecord } from '../store/jobStore.js';
import { getNode } from '../store/nodeStore.js';
import { deliverJob } from './deliverJob.js';
import { waitForService } from '../gateway/waitForService.js';
import { budgetRefusal } from '../budget/nodeBudget.js';

/** How a node's part of a job ended; `status` when it is neither ok nor failed. */
type Outcome = JobResult & { status?: Extract<JobTargetStatus, 'cancelled' | 'expired'> };

/** The reasons a job's request for approval on site is withdrawn, as the node and the audit log record them. */
const WITHDRAWN_CANCELLED = 'the job was cancelled';
const WITHDRAWN_EXPIRED = 'the job expired';

/** What the dispatcher needs. */
export interface JobDispatcherDeps {
  db: Database;
  /** This instance's tunnels: jobs are delivered by the instance holding the node. */
  registry: NodeRegistry;
  /** This instance's id, recorded on each target it claims (its start-up sweep fails only those). */
  instanceId: string;
  /** Announces new jobs (`job.created`) from every instance. */
  cluster: ClusterBus;
  clock: Clock;
  log: Logger;
  /** How long to wait after a node connects for it to announce its jobs service. */
  serviceWaitMs?: number;
  sweepIntervalMs?: number;
  /** Customer approval: each job waits for a person on site on nodes that require it. */
  approvals?: Pick<ApprovalBroker, 'obtain'>;
}

/**
 * Delivers queued jobs: one at a time per node, oldest first, whenever the node is
 * connected (at once for a node online when the job is queued, at its next connection
 * otherwise). Expires targets whose job outlived its `expiresAt`, and cancels the rest of
 * a rollout once its `stopAfterFailures` is reached.
 */
export class JobDispatcher {
  private readonly draining = new Set<string>();
  private readonly again = new Set<string>();
  private sweepTimer?: TimerHandle;
  private stopped = false;
  /** Deliveries and sweeps under way: stop() waits for them before the store may close. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly onOnline = (nodeId: string) => this.kick([nodeId]);
  private unsubscribe: (() => void)[] = [];
  /** Jobs waiting here for approval on site, by job id: a cancel withdraws their requests. */
  private readonly awaitingApproval = new Map<string, Set<AbortController>>();

  constructor(private readonly deps: JobDispatcherDeps) {}

  /** Starts listening for nodes coming online and jobs created on any instance, and sweeping expired jobs. */
  start(): void {
    this.deps.registry.on('online', this.onOnline);
    const { cluster } = this.deps;
    this.unsubscribe = [
      cluster.subscribe('job.created', ({ jobId }) => this.wake(pendingTargetsOf(this.deps.db, jobId))),
      // Cancelled on any instance: the requests this one sent for the job are withdrawn on site.
      cluster.subscribe('job.cancelled', ({ jobId }) => {
        for (const c of this.awaitingApproval.get(jobId) ?? []) c.abort(WITHDRAWN_CANCELLED);
      }),
      // Announcements sent while the bus was cut are lost: look at every pending target instead.
      cluster.onResync?.(() => this.wake(nodesWithPendingJobs(this.deps.db))) ?? (() => undefined),
    ];
    this.scheduleSweep();
  }

  /** Kicks the nodes `lookup` names once it resolves; those this instance does not hold are skipped. */
  private wake(lookup: Promise<string[]>): void {
    this.track(lookup.then((nodeIds) => this.kick(nodeIds), (err: Error) => this.deps.log.warn({ err: err.message }, 'could not look up the nodes of a job')));
  }

  /** Looks for work for these nodes now (those online). */
  kick(nodeIds: readonly string[]): void {
    for (const id of nodeIds) {
      if (this.stopped || !this.deps.registry.isOnline(id)) continue;
      if (this.draining.has(id)) {
        this.again.add(id);
        continue;
      }
      this.draining.add(id);
      this.track(
        this.drain(id)
          .catch((err: Error) => this.deps.log.warn({ nodeId: id, err: err.message }, 'job delivery failed'))
          .finally(() => {
            this.draining.delete(id);
            if (this.again.delete(id)) this.kick([id]);
          }),
      );
    }
  }

  /** Whether the server holds work for a node (keeps an on-demand node connected). */
  busy(nodeId: string): boolean {
    return this.draining.has(nodeId);
  }

  /**
   * Stops delivering and resolves once the deliveries and sweep under way have written
   * their results (a delivery ends at the latest when its node's link goes). Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.deps.registry.off('online', this.onOnline);
      for (const u of this.unsubscribe.splice(0)) u();
      if (this.sweepTimer) this.deps.clock.clearTimeout(this.sweepTimer);
    }
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = this.deps.clock.setTimeout(() => {
      this.track(
        this.expire()
          .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'job expiry sweep failed'))
          .finally(() => this.scheduleSweep()),
      );
    }, this.deps.sweepIntervalMs ?? 30_000);
  }

  private async expire(): Promise<void> {
    const { db, clock } = this.deps;
    const now = clock.now();
    for (const j of await jobsToExpire(db, now)) {
      await db.transaction(async (tx) => {
        const n = await closePending(tx, j.id, 'expired', 'the node did not connect before the job expired', now);
        if (n) await appendAudit(tx, { actor: 'system', action: 'job.expire', target: j.id, result: 'ok', groupId: j.groupId, detail: { nodes: n } }, now);
      });
    }
  }

  private async drain(nodeId: string): Promise<void> {
    const { db, registry, clock } = this.deps;
    await this.expire();
    for (;;) {
      const conn = registry.get(nodeId);
      if (!conn || this.stopped) return;
      const job = await nextPendingJob(db, nodeId);
      if (!job) return;
      if (!(await this.claim(job, nodeId))) continue;
      const overBudget = await budgetRefusal(db, nodeId, clock.now());
      const offered = overBudget === undefined && (await waitForService(conn, JOBS_SERVICE, this.deps.serviceWaitMs ?? 3_000, clock));
      const result: Outcome = overBudget !== undefined
        ? { ok: false, exitCode: null, stdout: '', stderr: '', error: overBudget }
        : offered
          ? await this.approveAndDeliver(conn, job)
          : { ok: false, exitCode: null, stdout: '', stderr: '', error: 'the node refuses jobs (its operator turned them off)' };
      const now = clock.now();
      const groupId = (await getNode(db, nodeId))?.groupId ?? job.groupId;
      await db.transaction(async (tx) => {
        await finishTarget(tx, job.id, nodeId, { status: result.ok ? 'ok' : (result.status ?? 'failed'), exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, error: result.error }, now);
        await appendAudit(tx, { actor: nodeId, action: 'job.run', target: job.id, result: result.ok ? 'ok' : 'failed', groupId, detail: { node: nodeId, exitCode: result.exitCode, error: result.error } }, now);
        if (!result.ok && job.stopAfterFailures !== null && (await countFailed(tx, job.id)) >= job.stopAfterFailures) {
          const n = await closePending(tx, job.id, 'cancelled', `the rollout stopped after ${job.stopAfterFailures} failure(s)`, now);
          if (n) await appendAudit(tx, { actor: 'system', action: 'job.stop', target: job.id, result: 'ok', groupId: job.groupId, detail: { cancelled: n } }, now);
        }
      });
      this.deps.log.info({ nodeId, jobId: job.id, ok: result.ok, exitCode: result.exitCode }, 'job finished');
    }
  }

  /**
   * Delivers a job once the person on site approved it (where the node requires approval); a
   * denial fails the job with its reason. A cancel (on any instance) or the job's expiry while
   * the person decides withdraws the request on the node, and ends the target so.
   */
  private async approveAndDeliver(conn: NodeConnection, job: JobRecord): Promise<Outcome> {
    const { db, clock } = this.deps;
    if (!this.deps.approvals) return deliverJob(conn, job, clock, undefined);
    // Cancelled between its claim and here: the cancel's announcement came before this listened.
    if (await cancelAsked(db, job.id, conn.nodeId)) return { ok: false, status: 'cancelled', exitCode: null, stdout: '', stderr: '', error: CANCEL_ASKED };
    const withdraw = new AbortController();
    const waiting = this.awaitingApproval.get(job.id) ?? new Set<AbortController>();
    this.awaitingApproval.set(job.id, waiting.add(withdraw));
    // Capped where timers overflow (24.8 days): no request waits on site anywhere near as long.
    const expiry = clock.setTimeout(() => withdraw.abort(WITHDRAWN_EXPIRED), Math.min(Math.max(0, job.expiresAt - clock.now()), 2 ** 31 - 1));
    let marked = Promise.resolve();
    let approval: string | undefined;
    try {
      approval = await this.deps.approvals.obtain({
        nodeId: conn.nodeId, groupId: job.groupId, kind: 'job', service: JOBS_SERVICE, subject: job.id, userId: job.createdBy ?? 'system', sourceIp: '',
        what: jobApprovalWhat(job),
        validForMs: job.timeoutMs,
        signal: withdraw.signal,
        onWaiting: () => {
          marked = markWaitingApproval(db, job.id, conn.nodeId, clock.now()).then(() => undefined);
        },
      });
    } catch (err) {
      const reason: unknown = withdraw.signal.reason;
      if (reason === WITHDRAWN_CANCELLED) return { ok: false, status: 'cancelled', exitCode: null, stdout: '', stderr: '', error: `${CANCEL_ASKED} while it waited for approval on site` };
      if (reason === WITHDRAWN_EXPIRED) return { ok: false, status: 'expired', exitCode: null, stdout: '', stderr: '', error: 'the job expired while it waited for approval on site' };
      return { ok: false, exitCode: null, stdout: '', stderr: '', error: (err as Error).message };
    } finally {
      clock.clearTimeout(expiry);
      waiting.delete(withdraw);
      if (waiting.size === 0) this.awaitingApproval.delete(job.id);
      await marked.catch((err: Error) => this.deps.log.warn({ jobId: job.id, err: err.message }, 'could not record that a job waits for approval on site'));
    }
    // Cancelled while the person on site decided: an approval must not revive it.
    if (approval !== undefined && !(await approvalReceived(db, job.id, conn.nodeId))) {
      return { ok: false, status: 'cancelled', exitCode: null, stdout: '', stderr: '', error: `${CANCEL_ASKED} while it waited for approval on site` };
    }
    return deliverJob(conn, job, clock, approval);
  }

  private async claim(job: JobRecord, nodeId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    if (job.expiresAt <= now) {
      await this.expire();
      return false;
    }
    return this.deps.db.transaction((tx) => claimTarget(tx, job.id, nodeId, now, this.deps.instanceId));
  }
}
