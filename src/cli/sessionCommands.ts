import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { BurrowError } from '../shared/errors.js';
import type { SessionView } from '../shared/protocol.js';
import { BARE_WARNING } from '../shared/tcpSessionProof.js';
import { printJson } from './cliOutput.js';
import { client, homeOption, show, type HomeOpt } from './adminShared.js';
import { announceSiteApproval } from './siteApproval.js';

/** `burrow admin session …`. */
export function registerSessionCommands(admin: Command): void {
  const session = admin.command('session').description('WebUI sessions on nodes');
  session
    .command('open <node>')
    .description('open a session port to a node service and print its URL')
    .option('--service <name>', 'the node service to reach', 'webui')
    .option('--type <type>', 'http: a browser session (the URL carries a one-time token); tcp: a TCP port used through `burrow tcp`, e.g. for ssh (default: the type the node declared for the service, else http)')
    .option('--bare', 'with --type tcp: a plain TCP port guarded by your source address alone, for clients that cannot use `burrow tcp` (anyone sharing your address gets in)')
    .option('--open', 'open the URL in a browser')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (nodeId: string, o: HomeOpt & { service: string; type?: string; open?: boolean; bare?: boolean }) => {
      if (o.type !== undefined && o.type !== 'http' && o.type !== 'tcp') throw new BurrowError('VALIDATION', `--type must be http or tcp, not "${o.type}".`);
      const api = await client(o);
      const wait = await announceSiteApproval(api, nodeId, 'The session');
      const r = await api.call<SessionView>('POST', '/v1/sessions', { node: nodeId, service: o.service, ...(o.type ? { type: o.type } : {}), ...(o.bare ? { bare: true } : {}) }, wait);
      if (r.bare) process.stderr.write(`Warning: ${BARE_WARNING}.\n`);
      if (o.json) printJson(r);
      else process.stdout.write(`Session ${r.id} open until ${r.expiresAt}:\n  ${r.url}\n`);
      if (!o.json && r.type === 'tcp' && !r.bare) process.stdout.write(`Connect with: burrow tcp ${nodeId} --service ${r.service} --session ${r.id} [--listen 127.0.0.1:PORT | --stdio]\n`);
      if (o.open && r.type !== 'tcp') spawn(process.platform === 'darwin' ? 'open' : 'xdg-open', [r.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
    });
  session
    .command('list')
    .description('list open sessions')
    .option('--all', 'include closed sessions')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt & { all?: boolean }) => {
      const rows = await (await client(o)).call<SessionView[]>('GET', `/v1/sessions${o.all ? '?all=true' : ''}`);
      show(o, rows, ['id', 'node', 'service', 'type', 'user', 'port', 'state', 'expiresAt', 'closeReason']);
    });
  session
    .command('close <id>')
    .description('close a session and free its port')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      await (await client(o)).call('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
      process.stdout.write(`Closed ${id}.\n`);
    });
  session
    .command('extend <id>')
    .description("push a session's expiry out by another full lifetime")
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      const r = await (await client(o)).call<SessionView>('POST', `/v1/sessions/${encodeURIComponent(id)}/extend`);
      if (o.json) printJson(r);
      else process.stdout.write(`Session ${r.id} now expires ${r.expiresAt}.\n`);
    });
}
