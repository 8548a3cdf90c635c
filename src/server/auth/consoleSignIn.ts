import { BurrowError } from '../../shared/errors.js';
import { constantTimeEqual, newSecretToken, sha256Hex } from '../../shared/secrets.js';
import type { Clock } from '../../shared/clock.js';
import type { Database } from '../store/database.js';
import { deleteConsoleSession, getConsoleSession, insertConsoleSession, touchConsoleSession, type ConsoleSessionRecord } from '../store/consoleSessionStore.js';

/**
 * Name of the console's sign-in cookie. `__Host-`: the browser keeps it only if set Secure,
 * Path=/ and without Domain, by the console's host itself, so no other host (a session
 * host under the session domain, a sibling under a shared parent domain) can set, shadow or
 * fix it, and no page can plant a path-specific one in front of it.
 */
export const SESSION_COOKIE = '__Host-burrow_session';
/** Name of the cookie that remembers a browser (skip TOTP); `__Host-` for the same reason. */
export const REMEMBER_COOKIE = '__Host-burrow_remember';

/** How the console's cookies are set (and cleared): what `__Host-` requires, HttpOnly, SameSite=Strict. */
export function consoleCookieOptions(maxAge?: number): { httpOnly: true; secure: true; sameSite: 'strict'; path: '/'; overwrite: true; maxAge?: number } {
  return { httpOnly: true, secure: true, sameSite: 'strict', path: '/', overwrite: true, ...(maxAge ? { maxAge } : {}) };
}
/** A console sign-in ends after this long without a request… */
export const CONSOLE_IDLE_MS = 30 * 60_000;
/** …and after this long in any case. */
export const CONSOLE_ABSOLUTE_MS = 12 * 3_600_000;
/** Time allowed between the password and the TOTP step. */
export const TOTP_STEP_MS = 5 * 60_000;

/** Starts a browser sign-in; returns the cookie value and CSRF token (both secrets). */
export async function startConsoleSession(
  db: Database,
  clock: Clock,
  userId: string,
  stage: 'totp' | 'full',
): Promise<{ cookie: string; csrf: string; expiresAt: number }> {
  const cookie = newSecretToken('brs');
  const csrf = csrfTokenOf(cookie);
  const now = clock.now();
  const expiresAt = now + (stage === 'totp' ? TOTP_STEP_MS : CONSOLE_ABSOLUTE_MS);
  await insertConsoleSession(db, { idHash: sha256Hex(cookie), userId, stage, csrfHash: sha256Hex(csrf), createdAt: now, lastSeenAt: now, expiresAt });
  return { cookie, csrf, expiresAt };
}

/** The live sign-in behind a cookie, or undefined (expired ones are removed). */
export async function findConsoleSession(db: Database, clock: Clock, cookie: string | undefined): Promise<ConsoleSessionRecord | undefined> {
  if (!cookie) return undefined;
  const s = await getConsoleSession(db, sha256Hex(cookie));
  if (!s) return undefined;
  const now = clock.now();
  if (s.expiresAt <= now || now - s.lastSeenAt > CONSOLE_IDLE_MS) {
    await deleteConsoleSession(db, s.idHash);
    return undefined;
  }
  await touchConsoleSession(db, s.idHash, now);
  return s;
}

/** Refuses a state-changing request whose CSRF header does not match the sign-in. */
export function checkCsrf(s: ConsoleSessionRecord, header: string | undefined): void {
  if (!header || !constantTimeEqual(sha256Hex(header), s.csrfHash)) {
    throw new BurrowError('CSRF_INVALID', 'The request lacks a valid X-CSRF-Token header; reload the console and try again.');
  }
}

/**
 * The CSRF token of a sign-in, derived from its cookie: issued once at sign-in and the same
 * for the sign-in's whole life, so a reloaded console can be handed it again by a GET that
 * changes nothing (a rotating token let any no-cors GET from a node's page break the
 * console's next POST). Knowing it reveals nothing of the HttpOnly cookie; only its hash is
 * stored.
 */
export function csrfTokenOf(cookie: string): string {
  return `csrf_${sha256Hex(`burrow-csrf:${cookie}`)}`;
}
