import { EventEmitter } from 'node:events';

/** Why something long-lived lost the authority that let it run. */
export type AuthorityEndReason = 'logout' | 'user-disabled' | 'grant-removed' | 'token-revoked' | 'token-expired' | 'signed-out' | 'totp-reset' | 'user-deleted' | 'password-changed' | 'password-reset';

/** A change to what one user may do: their sign-ins, account, grants or tokens. */
export interface AuthorityChange {
  userId: string;
  reason: AuthorityEndReason;
}

/**
 * Carries authority changes to whatever holds long-lived connections. One process uses
 * the in-process bus; several instances need one that crosses them (PostgreSQL NOTIFY).
 */
export interface AuthorityBus {
  publish(change: AuthorityChange): void;
  /** Calls `listener` for every change; returns the unsubscribe function. */
  subscribe(listener: (change: AuthorityChange) => void): () => void;
}

/** The bus of a single server process. */
export class LocalAuthorityBus implements AuthorityBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One subscriber per watch, not per connection; still, never warn about a count.
    this.emitter.setMaxListeners(0);
  }

  publish(change: AuthorityChange): void {
    this.emitter.emit('change', change);
  }

  subscribe(listener: (change: AuthorityChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}

/** One sentence for the person whose connection ended, and the error code it maps to. */
export function authorityEndNotice(reason: AuthorityEndReason): { code: 'UNAUTHENTICATED' | 'FORBIDDEN'; message: string } {
  const why: Record<AuthorityEndReason, string> = {
    'logout': 'you signed out',
    'user-disabled': 'your account was disabled',
    'grant-removed': 'your role that allowed it was removed',
    'token-revoked': 'the token it was opened with was revoked',
    'token-expired': 'the token it was opened with expired',
    'signed-out': 'your sign-in expired',
    'totp-reset': 'your authenticator was reset',
    'user-deleted': 'your account was deleted',
    'password-changed': 'your password was changed',
    'password-reset': 'your password was reset by an administrator',
  };
  return { code: reason === 'grant-removed' ? 'FORBIDDEN' : 'UNAUTHENTICATED', message: `Connection closed: ${why[reason]}.` };
}
