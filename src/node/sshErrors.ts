/** Says in words a node operator can act on why SSH over the tunnel failed (`node status`). */
export function describeSshError(err: Error & { level?: string }): string {
  if (err.level === 'client-authentication') return 'the server does not accept this node key (unknown, pending or revoked node)';
  if (err.level === 'client-timeout') return 'the server stopped answering keepalives (dead link)';
  return err.message;
}
