import type { Clock, TimerHandle } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { newId } from '../../shared/secrets.js';
import type { ApprovalDecision, ApprovalKind, ApprovalNotice, ApprovalPolicy, ApprovalRequest } from '../../shared/approvalProtocol.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { NodeDirectory } from '../cluster/nodeDirectory.js';
import type { Database } from '../store/database.js';
import { recordAudit } from '../store/auditStore.js';
import { listNodeStatus } from '../store/nodeStatusStore.js';
import { getNode } from '../store/nodeStore.js';
import { getUser } from '../store/userStore.js';

/** Past the node's own timeout, how long the server still waits for its answer. */
const NODE_ANSWER_GRACE_MS = 30_000;

/** What a session, shell or job asks a person on site to approve. */
export interface ApprovalAsk {
  nodeId: string;
  groupId: string;
  kind: ApprovalKind;
  /** The service the grant admits channels to. */
  service: string;
  /** The session id, job id or terminal id the grant is bound to. */
  subject: string;
  userId: string;
  sourceIp: string;
  /** What will happen, in words, for the person on site. */
  what: string;
  /** How long after the decision the grant may be used at most (a session's lifetime). */
  validForMs: number;
  /**
   * Aborted when the requester withdraws (closes the request, Ctrl-C) or the job is cancelled
   * or expires; a string `reason` given to abort() is the reason the node and audit record.
   */
  signal?: AbortSignal;
  /** Told once the request is on its way, with how long it may wait: the requester says "waiting". */
  onWaiting?: (w: { id: string; timeoutMs: number }) => void;
}

/** The broker's dependencies. */
export interface ApprovalBrokerDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  registry: NodeDirectory;
  /** Where consoles on every instance hear of requests waiting, decided and withdrawn. */
  bus?: Pick<ClusterBus, 'publish'>;
}

type Outcome = ApprovalDecision | { withdrawn: string; tellNode: boolean };

/**
 * The server's side of customer approval. It learns a node's policy from its status reports
 * and, where approval is on, sends each request over the node's status channel (through the
 * instance that holds the tunnel) and waits for the person on site. Every step is audited:
 * the request, the decision with who decided on site and why, a withdrawal. The approval id
 * it returns goes with each channel opened under it; the node enforces it, not this class.
 */
export class ApprovalBroker {
  constructor(private readonly deps: ApprovalBrokerDeps) {}

  /** The node's approval policy as its last stored report said; null when it never said. */
  async policyOf(nodeId: string): Promise<ApprovalPolicy | null> {
    const [latest] = await listNodeStatus(this.deps.db, nodeId, 1);
    return latest?.report.approval ?? null;
  }

  /**
   * Asks the person on site; resolves to the approval id once approved, or to undefined when
   * the node does not require approval. Throws APPROVAL_DENIED (denied, timed out) or
   * APPROVAL_WITHDRAWN (cancelled, node gone).
   */
  async obtain(a: ApprovalAsk): Promise<string | undefined> {
    const policy = await this.policyOf(a.nodeId);
    if (!policy?.enabled) return undefined;
    const { clock } = this.deps;
    const handle = this.deps.registry.get(a.nodeId);
    if (!handle) throw new BurrowError('NODE_OFFLINE', 'The node is offline, so nobody on site can approve.');
    const id = newId('apr');
    const user = (await getUser(this.deps.db, a.userId))?.email ?? a.userId;
    const request: ApprovalRequest = {
      id, kind: a.kind, service: a.service, subject: a.subject.slice(0, 80), user: user.slice(0, 254), from: (a.sourceIp || 'the job queue').slice(0, 100),
      what: a.what.slice(0, 500), validUntil: new Date(clock.now() + policy.timeoutMs + a.validForMs).toISOString(),
    };
    const audit = (action: string, result: 'ok' | 'denied' | 'failed', detail: Record<string, unknown>, actor = a.userId) =>
      recordAudit(this.deps.db, { actor, sourceIp: actor === a.userId && a.sourceIp !== '' ? a.sourceIp : null, action, target: a.nodeId, result, groupId: a.groupId, detail: { approvalId: id, kind: a.kind, subject: a.subject, ...detail } }, clock.now());
    await audit('approval.request', 'ok', { service: a.service, what: request.what });
    if (a.signal?.aborted) {
      await audit('approval.withdraw', 'ok', { reason: withdrawReason(a.signal) });
      throw new BurrowError('APPROVAL_WITHDRAWN', 'The request was withdrawn before anyone on site decided.');
    }
    const log = this.deps.log.child({ approval: id, nodeId: a.nodeId });
    // Consoles see the request under its node's group (a group job's group may be wider).
    const nodeGroup = (await getNode(this.deps.db, a.nodeId))?.groupId ?? a.groupId;
    const notice: ApprovalNotice = { id, nodeId: a.nodeId, kind: a.kind, subject: request.subject, user: request.user, what: request.what, since: new Date(clock.now()).toISOString(), timeoutMs: policy.timeoutMs };
    let announced = false;
    const announce = (event: 'approval.waiting' | 'approval.decided' | 'approval.withdrawn', n: ApprovalNotice) => {
      this.deps.bus?.publish('approval', { event, groupId: nodeGroup, notice: n }).catch((err: Error) => log.warn({ err: err.message }, 'could not tell consoles about an approval request'));
    };
    let timer: TimerHandle | undefined;
    let cleanup = () => {};
    const outcome = await new Promise<Outcome>((resolve) => {
      const onDecision = (d: ApprovalDecision) => {
        if (d.id === id) resolve(d);
      };
      const onClose = () => resolve({ withdrawn: 'the node disconnected', tellNode: false });
      const onAbort = () => resolve({ withdrawn: withdrawReason(a.signal), tellNode: true });
      timer = clock.setTimeout(() => resolve({ withdrawn: 'the node did not answer', tellNode: true }), policy.timeoutMs + NODE_ANSWER_GRACE_MS);
      handle.on('approval-decision', onDecision);
      handle.once('close', onClose);
      a.signal?.addEventListener('abort', onAbort, { once: true });
      cleanup = () => {
        handle.off('approval-decision', onDecision);
        handle.off('close', onClose);
        a.signal?.removeEventListener('abort', onAbort);
        if (timer) clock.clearTimeout(timer);
      };
      // Aborted while the store was read: nothing was sent, so nothing is to be withdrawn on the node.
      if (a.signal?.aborted) resolve({ withdrawn: withdrawReason(a.signal), tellNode: false });
      else if (!handle.pushApproval({ request })) resolve({ withdrawn: 'the node cannot be asked now', tellNode: false });
      else {
        log.info({ kind: a.kind, subject: a.subject }, 'waiting for approval on site');
        announced = true;
        announce('approval.waiting', notice);
        a.onWaiting?.({ id, timeoutMs: policy.timeoutMs });
      }
    });
    cleanup();
    if ('withdrawn' in outcome) {
      if (outcome.tellNode) handle.pushApproval({ withdraw: { id, reason: outcome.withdrawn } });
      await audit('approval.withdraw', 'ok', { reason: outcome.withdrawn });
      if (announced) announce('approval.withdrawn', { ...notice, outcome: 'withdrawn', reason: outcome.withdrawn });
      throw new BurrowError('APPROVAL_WITHDRAWN', `The request for approval on site was withdrawn: ${outcome.withdrawn}.`);
    }
    const result = outcome.outcome === 'approved' ? 'ok' : 'denied';
    await audit(`approval.${outcome.outcome}`, result, { by: outcome.by, reason: outcome.reason }, a.nodeId);
    log.info({ outcome: outcome.outcome, by: outcome.by }, 'approval decided on site');
    if (announced) announce('approval.decided', { ...notice, outcome: outcome.outcome, by: outcome.by, reason: outcome.reason });
    if (outcome.outcome === 'approved') return id;
    if (outcome.outcome === 'timed-out') throw new BurrowError('APPROVAL_DENIED', 'Nobody on site approved the request in time (timed out).');
    throw new BurrowError('APPROVAL_DENIED', `Denied on site by ${outcome.by}: ${outcome.reason}`);
  }

  /** Ends a grant on the node once what it was for (a session) has closed. */
  end(nodeId: string, approvalId: string, reason: string): void {
    this.deps.registry.get(nodeId)?.pushApproval({ withdraw: { id: approvalId, reason: reason.slice(0, 300) } });
  }
}

/** Why a request was withdrawn: the abort reason when its holder gave one in words. */
function withdrawReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return typeof reason === 'string' ? reason.slice(0, 300) : 'cancelled by the requester';
}
