import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { ApprovalDecision, ApprovalPolicy, ApprovalRequest } from '../../shared/approvalProtocol.js';
import { FILES_SERVICE, JOBS_SERVICE, SHELL_SERVICE, isInternalService } from '../../shared/internalServices.js';
import type { ApprovalJournalEntry } from './approvalJournal.js';

/** A request waiting for a person on site, as `burrow node approvals` lists it. */
export interface WaitingApproval extends ApprovalRequest {
  since: string;
  /** Milliseconds until it is denied as timed out. */
  timeLeftMs: number;
}

/** Whether a channel may open, and under which grant. */
export type Admission = { ok: true; subject?: string; what?: string } | { ok: false; reason: string };

/** A person's decision, as the local control socket passes it on. */
export type DecideResult = { ok: true; decision: ApprovalDecision } | { ok: false; reason: string };

/** Dependencies of the desk. */
export interface ApprovalDeskDeps {
  clock: Clock;
  log: Logger;
  /** The policy in node.json now (it may change while the agent runs). */
  policy: () => ApprovalPolicy;
  /** Appends to the local log (approvals.log). */
  journal: (entry: ApprovalJournalEntry) => void;
  /** Sends a decision to the server on the status channel; false when no channel is up. */
  send: (decision: ApprovalDecision) => boolean;
}

interface Pending {
  request: ApprovalRequest;
  since: number;
  timer: TimerHandle;
}

interface Grant {
  request: ApprovalRequest;
  until: number;
}

/** Services whose grant admits one channel only: one shell, one job. */
const SINGLE_USE = new Set([SHELL_SERVICE, JOBS_SERVICE]);
/** Services that are no session target: a session grant never admits them. */
const KIND_SERVICE: Record<string, string> = { shell: SHELL_SERVICE, job: JOBS_SERVICE };

/**
 * The node's side of customer approval. It keeps the requests the server sent until a person
 * on site decides (or they time out), and the grants that decision made. Every channel to a
 * service is admitted here: with the policy on, only under a live grant the channel names
 * and that was made for that very service, so a server (compromised or buggy) cannot reach
 * anything nobody approved, nor reuse one grant for another session, shell or job.
 */
export class ApprovalDesk {
  private readonly pending = new Map<string, Pending>();
  private readonly grants = new Map<string, Grant>();
  /** Why recent requests were withdrawn, so a person who tries to approve one afterwards is told (bounded). */
  private readonly withdrawn = new Map<string, string>();

  constructor(private readonly deps: ApprovalDeskDeps) {}

  /** A request from the server: waits for a person, or is approved at once when the policy is off. */
  receive(request: ApprovalRequest): void {
    const { clock } = this.deps;
    if (this.pending.has(request.id) || this.grants.has(request.id)) return;
    const expected = KIND_SERVICE[request.kind];
    if ((expected !== undefined && request.service !== expected) || (request.kind === 'session' && isInternalService(request.service))) {
      this.deps.log.warn({ approval: request.id, kind: request.kind, service: request.service }, 'refused an approval request whose kind and service do not match');
      this.answer(request, { id: request.id, outcome: 'denied', by: 'policy', reason: `a ${request.kind} request cannot name the service "${request.service}"` });
      return;
    }
    const policy = this.deps.policy();
    // A flood would bury the real request in the list a person reads, and hold a timer each.
    if (policy.enabled && this.pending.size >= MAX_WAITING) {
      this.answer(request, { id: request.id, outcome: 'denied', by: 'policy', reason: `too many requests wait for approval on this node (${MAX_WAITING})` });
      return;
    }
    if (!policy.enabled) {
      // No grant is kept: with the policy off admit() needs none, and one kept would open
      // channels nobody approved once the operator turns approval on.
      this.answer(request, { id: request.id, outcome: 'approved', by: 'policy', reason: 'approval on site is off on this node' }, false);
      return;
    }
    const timer = clock.setTimeout(() => this.timeOut(request.id), policy.timeoutMs);
    this.pending.set(request.id, { request, since: clock.now(), timer });
    this.deps.journal({ at: new Date(clock.now()).toISOString(), event: 'requested', id: request.id, kind: request.kind, service: request.service, subject: request.subject, user: request.user, from: request.from, what: request.what });
    this.deps.log.info({ approval: request.id, kind: request.kind, user: request.user, service: request.service }, 'waiting for approval on site');
  }

  /** The requests waiting now, oldest first. */
  list(): WaitingApproval[] {
    const now = this.deps.clock.now();
    const timeout = this.deps.policy().timeoutMs;
    return [...this.pending.values()].map((p) => ({ ...p.request, since: new Date(p.since).toISOString(), timeLeftMs: Math.max(0, p.since + timeout - now) }));
  }

  /** A person on site approves or denies request `id`. */
  decide(id: string, approved: boolean, by: string, reason: string): DecideResult {
    const p = this.pending.get(id);
    const gone = this.withdrawn.get(id);
    if (!p && gone !== undefined) return { ok: false, reason: `Request ${id} was withdrawn by the server (${gone}): there is nothing left to approve.` };
    if (!p) return { ok: false, reason: `No request ${id} waits for approval (it may have been decided, withdrawn or timed out).` };
    const decision: ApprovalDecision = { id, outcome: approved ? 'approved' : 'denied', by: by.slice(0, 100), reason: reason.slice(0, 500) };
    this.settle(p, decision);
    return { ok: true, decision };
  }

  /** The server withdrew a request, or ended the grant of a closed session. */
  withdraw(id: string, reason: string): void {
    const p = this.pending.get(id);
    if (p) {
      this.deps.clock.clearTimeout(p.timer);
      this.pending.delete(id);
      this.withdrawn.set(id, reason);
      // Oldest first: a Map iterates in insertion order.
      if (this.withdrawn.size > MAX_REMEMBERED) this.withdrawn.delete(this.withdrawn.keys().next().value as string);
      this.deps.journal({ at: new Date(this.deps.clock.now()).toISOString(), event: 'withdrawn', id, reason });
      return;
    }
    if (this.grants.delete(id)) this.deps.journal({ at: new Date(this.deps.clock.now()).toISOString(), event: 'ended', id, reason });
  }

  /** The tunnel went down: what waits is withdrawn (the requester was told the node went away). */
  withdrawAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.withdraw(id, reason);
  }

  /**
   * Whether a channel to `service` may open. `originAddr` names the grant (approvalOrigin);
   * a single-use grant (shell, job) is spent here. With the policy off, every channel opens.
   */
  admit(service: string, grantId: string | undefined): Admission {
    // File pulls are bounded by the operator's own allow-list (`burrow node files`), not by approval.
    if (!this.deps.policy().enabled || service === FILES_SERVICE) return { ok: true };
    if (grantId === undefined) return { ok: false, reason: 'no approval on site' };
    const grant = this.grants.get(grantId);
    if (!grant) return { ok: false, reason: `approval ${grantId} was not granted on this node` };
    if (this.deps.clock.now() >= grant.until) {
      this.grants.delete(grantId);
      return { ok: false, reason: `approval ${grantId} has expired` };
    }
    if (grant.request.service !== service) return { ok: false, reason: `approval ${grantId} was granted for "${grant.request.service}", not "${service}"` };
    if (SINGLE_USE.has(service)) this.grants.delete(grantId);
    return { ok: true, subject: grant.request.subject, what: grant.request.what };
  }

  /** Stops every timer; idempotent. */
  close(): void {
    for (const p of this.pending.values()) this.deps.clock.clearTimeout(p.timer);
    this.pending.clear();
    this.grants.clear();
  }

  private timeOut(id: string): void {
    const p = this.pending.get(id);
    if (p) this.settle(p, { id, outcome: 'timed-out', by: 'timeout', reason: 'timed out' });
  }

  private settle(p: Pending, decision: ApprovalDecision): void {
    this.deps.clock.clearTimeout(p.timer);
    this.pending.delete(p.request.id);
    this.answer(p.request, decision);
  }

  private answer(request: ApprovalRequest, decision: ApprovalDecision, keepGrant = true): void {
    const now = this.deps.clock.now();
    if (decision.outcome === 'approved' && keepGrant) this.grants.set(request.id, { request, until: Math.min(Date.parse(request.validUntil), now + MAX_GRANT_MS) });
    this.deps.journal({ at: new Date(now).toISOString(), event: decision.outcome, id: request.id, by: decision.by, reason: decision.reason });
    this.deps.log.info({ approval: request.id, outcome: decision.outcome, by: decision.by }, 'approval decided');
    if (!this.deps.send(decision)) this.deps.log.warn({ approval: request.id }, 'the decision could not be sent: the tunnel is down');
  }
}

/** The longest a grant lives, whatever the server says the session's expiry is. */
export const MAX_GRANT_MS = 24 * 3_600_000;

/** The most requests that wait for a person at once; more are denied at once. */
export const MAX_WAITING = 50;

/** How many withdrawn requests the desk remembers, to explain a late approval. */
const MAX_REMEMBERED = 200;
