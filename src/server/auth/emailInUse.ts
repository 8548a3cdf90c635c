import { BurrowError } from '../../shared/errors.js';
import { appendAudit, type AuditEntry } from '../store/auditStore.js';
import type { Queryable } from '../store/database.js';
import { checkThrottle, recordFailure, type ThrottlePolicy } from './loginThrottle.js';

/*
 * An email is a global sign-in name, so giving an account one that another account has
 * must fail, and the failure tells the caller that the address is taken, even when it
 * belongs to another customer's user. That cannot be avoided; what can be is a cheap
 * oracle. So the refusal names no user and no customer (a customer's own users are refused
 * with the same words), every refusal is audited as denied with the actor and the group
 * it concerns (root admins see probing in the audit log), and refusals are counted per
 * actor: after a few, each further attempt of that actor, with a free address or a taken
 * one, waits, and many lock it for a while. The check and the count run in the caller's
 * transaction, so a burst of concurrent probes is throttled like the same probes in turn.
 */

/** Per actor: an administrator mistyping gets a few refusals free, a prober is slowed to a crawl. */
export const EMAIL_IN_USE_POLICY: ThrottlePolicy = { freeFailures: 5, maxDelayMs: 60_000, lockAfter: 20, lockMs: 15 * 60_000, forgetMs: 3_600_000 };

const keyOf = (actor: string) => `email-in-use:${actor}`;

/** Throws RATE_LIMITED while `actor` must wait after refusals of emails in use; call before looking the email up. */
export async function checkEmailInUseThrottle(q: Queryable, actor: string, now: number): Promise<void> {
  await checkThrottle(q, [[keyOf(actor), EMAIL_IN_USE_POLICY]], now, 'attempts with an email already in use');
}

/** Counts a refusal against the attempt's actor and audits it as denied; the caller then throws emailInUse(). */
export async function recordEmailInUse(q: Queryable, attempt: Omit<AuditEntry, 'result'> & { target: string }, now: number): Promise<void> {
  await recordFailure(q, [[keyOf(attempt.actor), EMAIL_IN_USE_POLICY]], now);
  await appendAudit(q, { ...attempt, result: 'denied', detail: { reason: 'email-in-use', ...attempt.detail } }, now);
}

/** The refusal: it says the address cannot be used, not whose it is. */
export function emailInUse(email: string): BurrowError {
  return new BurrowError('CONFLICT', `The email ${email} cannot be used for an account; choose a different one.`);
}
