/**
 * The `burrow tcp` command that reaches a node's plain TCP service. A browser cannot prove
 * itself to a tcp session port, so the console shows the command instead of an "Open" that
 * could not work; for ssh it shows the OpenSSH ProxyCommand form.
 */
export function TcpCommand(p: { node: string; service: string; session?: string }) {
  const base = `burrow tcp ${p.node} --service ${p.service}${p.session ? ` --session ${p.session}` : ''}`;
  const command = p.service === 'ssh' ? `ssh -o ProxyCommand='${base} --stdio' USER@${p.node}` : `${base} --listen 127.0.0.1:PORT`;
  return (
    <span class="tcp-command" data-tcp-command={p.service}>
      <span class="muted">From a terminal: </span>
      <code>{command}</code>
    </span>
  );
}
