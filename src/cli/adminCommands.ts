import { registerAdminBundleCommand, registerAdminFileCommands } from './adminFileCommands.js';
import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { requestJson } from '../shared/pinnedHttps.js';
import type { NodeView } from '../shared/protocol.js';
import { forgetCredentials, pinFor, saveCredentials } from './adminClient.js';
import { printJson } from './cliOutput.js';
import { client, groupPaths, homeOption, showNamingGroups, type HomeOpt } from './adminShared.js';
import { registerSessionCommands } from './sessionCommands.js';
import { registerJobCommands } from './jobCommands.js';
import { registerAuditCommands } from './auditCommands.js';
import { registerUserCommands } from './userCommands.js';
import { registerAccountCommands } from './accountCommands.js';
import { registerTokenCommands } from './tokenCommands.js';
import { registerAlertCommands } from './alertCommands.js';
import { registerAdminNodeStatusCommands } from './adminNodeStatusCommands.js';
import { registerAdminConditionCommands } from './adminConditionCommands.js';
import { budgetSummary, registerAdminBudgetCommand } from './adminBudgetCommands.js';
import type { NodeBudgetView } from '../shared/dataBudget.js';
import { registerAdminNodeLifecycleCommands } from './adminNodeLifecycleCommands.js';
import { registerAdminFleetCommands } from './adminFleetCommands.js';
import { parseLabelSelector } from '../shared/labelSelector.js';
import { registerAdminRotateKeyCommand } from './keyRotationCommands.js';
import { registerAdminSessionRequestCommands } from './adminSessionRequestCommands.js';
import { resolveHome } from './homeDir.js';
import { ask, readSecretFile } from './prompt.js';
import { explainUntrustedServer } from './untrustedServer.js';

/** Asks twice for a new password; without a terminal, says which option to use instead. */
async function newPasswordFromTerminal(): Promise<string> {
  if (!process.stdin.isTTY) throw new BurrowError('PASSWORD_CHANGE_REQUIRED', 'This is a temporary password: choose a new one with --new-password-file FILE.');
  const first = await ask('New password: ', true);
  if ((await ask('New password again: ', true)) !== first) throw new BurrowError('VALIDATION', 'The two new passwords differ.');
  return first;
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
    .option('--recovery-code <code>', 'a recovery code instead of the authenticator code')
    .option('--no-totp', 'sign in without a code, to enroll an authenticator for the first time')
    .option('--fingerprint <pin>', "the server certificate's pin (sha256/…), for a self-signed server")
    .option('--new-password-file <file>', 'a temporary password must be replaced at the first sign-in: read the new one from this file instead of asking')
    .option(...homeOption)
    .action(async (o: HomeOpt & { server: string; email: string; passwordFile?: string; totp?: string | false; recoveryCode?: string; fingerprint?: string; newPasswordFile?: string }) => {
      const home = resolveHome(o.home, process.env);
      const pin = await pinFor(home, o.fingerprint);
      const password = o.passwordFile ? await readSecretFile(o.passwordFile, 'password') : await ask('Password: ', true);
      const second = o.recoveryCode
        ? { recoveryCode: o.recoveryCode }
        : o.totp === false
          ? {}
          : { totp: (typeof o.totp === 'string' ? o.totp : await ask('Authenticator code: ', false)).trim() };
      const server = new URL(o.server).origin;
      const signIn = (newPassword?: string) =>
        requestJson<{ token: string; expiresAt: string; totpEnrollmentRequired: boolean }>(`${server}/v1/auth/login`, {
          method: 'POST',
          body: { email: o.email, password, ...second, ...(newPassword ? { newPassword } : {}) },
          ...(pin ? { pin } : {}),
        }).catch((err: unknown) => {
          throw explainUntrustedServer(err, server);
        });
      const given = o.newPasswordFile ? await readSecretFile(o.newPasswordFile, 'new password') : undefined;
      const r = await signIn(given).catch(async (err: unknown) => {
        // A temporary password: ask for the user's own and sign in again with it (the server
        // refused before looking at the code, so the same code still works).
        if (!(err instanceof BurrowError) || err.code !== 'PASSWORD_CHANGE_REQUIRED' || given) throw err;
        return signIn(await newPasswordFromTerminal());
      });
      await saveCredentials(home, { server, email: o.email, token: r.token, ...(pin ? { pin } : {}) });
      process.stdout.write(`Logged in to ${server} as ${o.email}.\n`);
      if (r.totpEnrollmentRequired) {
        process.stdout.write('Your role needs an authenticator (TOTP) before anything else: run "burrow admin totp setup", then "burrow admin totp confirm CODE".\n');
      }
    });

  const totp = admin.command('totp').description('enroll your authenticator app (TOTP)');
  totp
    .command('setup')
    .description('make a new TOTP secret and show it as a QR code')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt) => {
      const r = await (await client(o)).call<{ secret: string; uri: string }>('POST', '/v1/auth/totp/setup');
      if (o.json) printJson({ secret: r.secret, uri: r.uri });
      else {
        const { default: QRCode } = await import('qrcode');
        const qr = await QRCode.toString(r.uri, { type: 'terminal', small: true });
        process.stdout.write(`${qr}\nScan the code, or enter the secret ${r.secret} in your authenticator app; then run "burrow admin totp confirm CODE".\n`);
      }
    });
  totp
    .command('confirm <code>')
    .description('confirm the authenticator with its current code; prints recovery codes once')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (code: string, o: HomeOpt) => {
      const r = await (await client(o)).call<{ recoveryCodes: string[] }>('POST', '/v1/auth/totp/confirm', { code: code.trim() });
      if (o.json) printJson(r);
      else process.stdout.write(`Authenticator enrolled. Recovery codes (each works once; store them now):\n  ${r.recoveryCodes.join('\n  ')}\n`);
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
      const api = await client(o);
      await showNamingGroups(o, api, await api.call<object[]>('GET', '/v1/enroll-tokens'), ['id', 'group', 'node', 'state', 'uses', 'maxUses', 'autoApprove', 'expiresAt']);
    });
  tokens
    .command('revoke <id>')
    .description('revoke an enrollment token')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      await (await client(o)).call('DELETE', `/v1/enroll-tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`Revoked ${id}.\n`);
    });

  const nodes = admin
    .command('nodes')
    .description('list nodes; import and export them as CSV')
    .option('--label <selector>', 'only nodes whose labels match, e.g. site=paris,tier!=test')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (o: HomeOpt & { label?: string }) => {
      const api = await client(o);
      if (o.label !== undefined) parseLabelSelector(o.label);
      const query = o.label === undefined ? '' : `?label=${encodeURIComponent(o.label)}`;
      const nodes = await api.call<NodeView[]>('GET', `/v1/nodes${query}`);
      const rows = o.json ? nodes : nodes.map((n) => ({ ...n, labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') }));
      await showNamingGroups(o, api, rows, ['id', 'name', 'group', 'status', 'mode', 'online', 'lastSeen', 'services', 'labels']);
    });

  registerAdminFleetCommands(nodes);

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
      const api = await client(o);
      const r = await api.call<NodeView>('GET', `/v1/nodes/${encodeURIComponent(id)}`);
      if (o.json) {
        printJson(r);
        return;
      }
      const shown = { ...r, group: (await groupPaths(api)).get(r.group) ?? r.group };
      for (const [k, v] of Object.entries(shown)) process.stdout.write(`${k.padEnd(13)} ${Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? Object.entries(v).map(([lk, lv]) => `${lk}=${String(lv)}`).join(',') : String(v)}\n`);
      const budget = await api.call<NodeBudgetView>('GET', `/v1/nodes/${encodeURIComponent(r.id)}/budget`);
      process.stdout.write(`${'data'.padEnd(13)} ${budgetSummary(budget)}\n`);
    });

  registerAdminNodeStatusCommands(node);
  registerAdminConditionCommands(node);
  registerAdminBudgetCommand(node);
  registerAdminNodeLifecycleCommands(node);
  registerAdminBundleCommand(node);
  registerAdminRotateKeyCommand(node);
  registerSessionCommands(admin);
  registerJobCommands(admin);
  registerAdminFileCommands(admin);
  registerAdminSessionRequestCommands(admin);
  registerAuditCommands(admin);
  registerUserCommands(admin);
  registerAccountCommands(admin);
  registerTokenCommands(admin);
  registerAlertCommands(admin);
}
