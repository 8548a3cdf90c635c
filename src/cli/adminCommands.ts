import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { BurrowError } from '../shared/errors.js';
import { requestJson } from '../shared/pinnedHttps.js';
import type { NodeView, SessionView } from '../shared/protocol.js';
import { registerAdminNodeStatusCommands } from './adminNodeStatusCommands.js';
import { registerAdminSessionRequestCommands } from './adminSessionRequestCommands.js';
import { AdminClient, forgetCredentials, pinFor, saveCredentials } from './adminClient.js';
import { printJson, printTable } from './cliOutput.js';
import { resolveHome } from './homeDir.js';
import { ask, readSecretFile } from './prompt.js';

interface HomeOpt {
  home?: string;
  json?: boolean;
}

const client = (o: HomeOpt) => AdminClient.open(resolveHome(o.home, process.env));
const homeOption = ['--home <dir>', 'directory holding the CLI login (env BURROW_HOME)'] as const;

/** Prints `value` as JSON with --json, else as a table of `columns`. */
function show(o: HomeOpt, value: Record<string, unknown>[], columns: string[]): void {
  if (o.json) printJson(value);
  else printTable(value, columns);
}

/** `burrow admin …`: everything staff do, through the REST API. */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('manage a burrow server through its API');

  admin
    .command('login')
    .description('sign in with password and TOTP; keeps an API token (24 h, renewed while used) in --home')
    .requiredOption('--server <url>', 'the server URL, e.g. https://burrow.example.com:8443')
    .requiredOption('--email <email>', 'your account email')
    .option('--password-file <file>', 'read the password from this file instead of asking')
    .option('--totp <code>', 'the 6-digit code from your authenticator app')
    .option('--fingerprint <pin>', "the server certificate's pin (sha256/…), for a self-signed server")
    .option(...homeOption)
    .action(async (o: HomeOpt & { server: string; email: string; passwordFile?: string; totp?: string; fingerprint?: string }) => {
      const home = resolveHome(o.home, process.env);
      const pin = await pinFor(home, o.fingerprint);
      const password = o.passwordFile ? await readSecretFile(o.passwordFile, 'password') : await ask('Password: ', true);
      const totp = o.totp ?? (await ask('Authenticator code: ', false));
      const server = new URL(o.server).origin;
      const r = await requestJson<{ token: string; expiresAt: string }>(`${server}/v1/auth/login`, {
        method: 'POST',
        body: { email: o.email, password, totp: totp.trim() },
        ...(pin ? { pin } : {}),
      });
      await saveCredentials(home, { server, email: o.email, token: r.token, ...(pin ? { pin } : {}) });
      process.stdout.write(`Logged in to ${server} as ${o.email}.\n`);
    });

  admin
    .command('logout')
    .description('revoke the stored API token and forget it')
    .option(...homeOption)
    .action(async (o: HomeOpt) => {
      const c = await client(o);
      await c.call('POST', '/v1/auth/logout');
      await forgetCredentials(resolveHome(o.home, process.env));
      process.stdout.write('Logged out.\n');
    });

  const tokens = admin.command('enroll-token').description('tokens that let nodes enroll');
  tokens
    .command('create')
    .description('create an enrollment token (shown once)')
    .option('--uses <n>', 'how many nodes may enroll with it', '1')
    .option('--ttl <duration>', 'how long it stays valid (e.g. 1h, 7d)', '1h')
    .option('--group <group>', 'group the nodes join')
    .option('--auto-approve', 'approve nodes at once instead of leaving them pending')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt & { uses: string; ttl: string; group?: string; autoApprove?: boolean }) => {
      const uses = Number(o.uses);
      if (!Number.isInteger(uses) || uses < 1) throw new BurrowError('VALIDATION', '--uses must be a whole number of at least 1.');
      const c = await client(o);
      const r = await c.call<{ id: string; token: string; expiresAt: string; enrollCommand: string }>('POST', '/v1/enroll-tokens', {
        uses,
        ttl: o.ttl,
        autoApprove: Boolean(o.autoApprove),
        ...(o.group ? { group: o.group } : {}),
      });
      if (o.json) printJson(r);
      else process.stdout.write(`Token ${r.id} (expires ${r.expiresAt}); shown once:\n  ${r.token}\nOn the node run:\n  ${r.enrollCommand}\n`);
    });
  tokens
    .command('list')
    .description('list enrollment tokens')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt) => {
      const rows = await (await client(o)).call<Record<string, unknown>[]>('GET', '/v1/enroll-tokens');
      show(o, rows, ['id', 'state', 'uses', 'maxUses', 'autoApprove', 'expiresAt']);
    });
  tokens
    .command('revoke <id>')
    .description('revoke an enrollment token')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      await (await client(o)).call('DELETE', `/v1/enroll-tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`Revoked ${id}.\n`);
    });

  admin
    .command('nodes')
    .description('list nodes')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt) => {
      const rows = await (await client(o)).call<NodeView[]>('GET', '/v1/nodes');
      show(o, rows as unknown as Record<string, unknown>[], ['id', 'name', 'group', 'status', 'mode', 'online', 'lastSeen', 'services']);
    });

  const node = admin.command('node').description('act on one node');
  for (const [verb, description] of [
    ['approve', 'let a pending node connect'],
    ['revoke', 'cut a node off at once and refuse its key from now on'],
  ] as const) {
    node
      .command(`${verb} <node>`)
      .description(description)
      .option('--json', 'print JSON')
      .option(...homeOption)
      .action(async (id: string, o: HomeOpt) => {
        const r = await (await client(o)).call<NodeView>('POST', `/v1/nodes/${encodeURIComponent(id)}/${verb}`);
        if (o.json) printJson(r);
        else process.stdout.write(`Node ${r.name} (${r.id}) is now ${r.status}.\n`);
      });
  }
  node
    .command('show <node>')
    .description('show one node')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      const r = await (await client(o)).call<NodeView>('GET', `/v1/nodes/${encodeURIComponent(id)}`);
      if (o.json) printJson(r);
      else for (const [k, v] of Object.entries(r)) process.stdout.write(`${k.padEnd(13)} ${Array.isArray(v) ? v.join(',') : String(v)}\n`);
    });

  registerAdminNodeStatusCommands(node);
  registerSessionCommands(admin);
  registerAdminSessionRequestCommands(admin);
  registerAuditCommands(admin);
}

function registerSessionCommands(admin: Command): void {
  const session = admin.command('session').description('WebUI sessions on nodes');
  session
    .command('open <node>')
    .description('open a session port to a node service and print its URL')
    .option('--service <name>', 'the node service to reach', 'webui')
    .option('--open', 'open the URL in a browser')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (nodeId: string, o: HomeOpt & { service: string; open?: boolean }) => {
      const r = await (await client(o)).call<SessionView>('POST', '/v1/sessions', { node: nodeId, service: o.service });
      if (o.json) printJson(r);
      else process.stdout.write(`Session ${r.id} open until ${r.expiresAt}:\n  ${r.url}\n`);
      if (o.open) spawn('xdg-open', [r.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
    });
  session
    .command('list')
    .description('list open sessions')
    .option('--all', 'include closed sessions')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt & { all?: boolean }) => {
      const rows = await (await client(o)).call<SessionView[]>('GET', `/v1/sessions${o.all ? '?all=true' : ''}`);
      show(o, rows as unknown as Record<string, unknown>[], ['id', 'nodeId', 'service', 'port', 'state', 'expiresAt', 'closeReason']);
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

function registerAuditCommands(admin: Command): void {
  const audit = admin
    .command('audit')
    .description('read the audit log, newest first')
    .option('--action <prefix>', 'only actions starting with this, e.g. session.')
    .option('--actor <id>', 'only this actor')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt & { action?: string; actor?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: o.limit, ...(o.action ? { action: o.action } : {}), ...(o.actor ? { actor: o.actor } : {}) });
      const rows = await (await client(o)).call<Record<string, unknown>[]>('GET', `/v1/audit?${q.toString()}`);
      show(o, rows, ['seq', 'at', 'actor', 'action', 'target', 'result', 'sourceIp']);
    });
  audit
    .command('verify')
    .description('check the hash chain of the audit log')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt) => {
      const home = o.home ?? (audit.opts() as HomeOpt).home;
      const r = await (await client({ ...(home ? { home } : {}) })).call<{ ok: boolean; entries: number; badSeq?: number; reason?: string }>('GET', '/v1/audit/verify');
      if (o.json) printJson(r);
      if (!r.ok) throw new BurrowError('CONFLICT', `The audit log fails verification at entry ${r.badSeq ?? '?'}: ${r.reason ?? ''}.`);
      if (!o.json) process.stdout.write(`Audit log intact: ${r.entries} entries verified.\n`);
    });
}
