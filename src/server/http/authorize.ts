import type { Clock } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { sha256Hex } from '../../shared/secrets.js';
import { hasRoleSomewhere, scopeRole } from '../auth/access.js';
import { checkCsrf, findConsoleSession, SESSION_COOKIE } from '../auth/consoleSignIn.js';
import { CLI_TOKEN_TTL_MS, mustEnrollTotp } from '../auth/login.js';
import { getApiTokenByHash, touchApiToken } from '../store/apiTokenStore.js';
import type { Database } from '../store/database.js';
import { getUser, listGrants } from '../store/userStore.js';
import type { ApiContext, Permission, Principal } from './apiContext.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Finds who is calling: a Bearer token, else a console cookie (which needs a CSRF header
 * on state-changing requests). Throws UNAUTHENTICATED when neither is valid.
 */
export async function authenticate(db: Database, clock: Clock, ctx: ApiContext): Promise<Principal> {
  const header = ctx.get('authorization');
  if (header) return fromToken(db, clock, header);
  const session = await findConsoleSession(db, clock, ctx.cookies.get(SESSION_COOKIE));
  if (!session || session.stage !== 'full') throw new BurrowError('UNAUTHENTICATED', 'Sign in first.');
  if (!SAFE_METHODS.has(ctx.method)) checkCsrf(session, ctx.get('x-csrf-token'));
  const user = await getUser(db, session.userId);
  if (!user || user.disabled) throw new BurrowError('UNAUTHENTICATED', 'This account is disabled.');
  return {
    userId: user.id,
    email: user.email,
    via: 'console',
    credentialId: session.idHash,
    interactive: true,
    access: { grants: await listGrants(db, user.id), scope: 'admin', limitGroupId: null },
    mustEnrollTotp: await mustEnrollTotp(db, user),
  };
}

async function fromToken(db: Database, clock: Clock, header: string): Promise<Principal> {
  const m = /^Bearer ([\w-]{10,200})$/.exec(header);
  if (!m) throw new BurrowError('UNAUTHENTICATED', 'Send an API token as "Authorization: Bearer <token>".');
  // Looked up by its SHA-256: the secret itself is never compared or stored.
  const token = await getApiTokenByHash(db, sha256Hex(m[1] as string));
  const now = clock.now();
  if (!token || token.revokedAt !== null || token.expiresAt <= now) {
    throw new BurrowError('UNAUTHENTICATED', 'The API token is unknown, expired or revoked; sign in again.');
  }
  const user = await getUser(db, token.userId);
  if (!user || user.disabled) throw new BurrowError('UNAUTHENTICATED', 'The account of this token is disabled.');
  await touchApiToken(db, token.id, now, token.kind === 'cli' ? now + CLI_TOKEN_TTL_MS : undefined);
  return {
    userId: user.id,
    email: user.email,
    via: 'token',
    credentialId: token.id,
    interactive: token.kind === 'cli',
    access: { grants: await listGrants(db, user.id), scope: token.scope, limitGroupId: token.groupId },
    mustEnrollTotp: await mustEnrollTotp(db, user),
  };
}

/** Throws unless the principal may call a route that needs `need`. */
export function requirePermission(p: Principal, need: Exclude<Permission, 'public'>): void {
  if (need === 'totp-setup') return;
  if (p.mustEnrollTotp) throw new BurrowError('TOTP_REQUIRED', 'Enroll an authenticator (TOTP) before doing anything else.');
  if (need === 'authenticated') return;
  const role = need === 'read' ? scopeRole.read : need === 'operate' ? scopeRole.operate : scopeRole.admin;
  if (!hasRoleSomewhere(p.access, role)) throw new BurrowError('FORBIDDEN', `This needs the ${role} role, which your account or token does not have.`);
}
