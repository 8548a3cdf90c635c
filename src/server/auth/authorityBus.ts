/** Why something long-lived lost the authority that let it run. */
export type AuthorityEndReason = 'logout' | 'user-disabled' | 'grant-removed' | 'token-revoked' | 'token-expired' | 'signed-out' | 'totp-reset' | 'user-deleted' | 'password-changed' | 'password-reset';

/** A change to what one user may do: their sign-ins, account, grants or tokens. */
export interface AuthorityChange {
  userId: string;
  reason: AuthorityEndReason;
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
