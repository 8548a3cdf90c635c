import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { client, homeOption, show, withCommon, type HomeOpt } from './adminShared.js';
import { readSecretFile } from './prompt.js';
import { registerUserLifecycleCommands } from './userLifecycleCommands.js';

interface UserView {
  id: string;
  email: string;
  disabled: boolean;
  totpEnrolled: boolean;
  grants: { group: string; path: string; role: string }[];
}

const roles = ['admin', 'operator', 'viewer'];
const rows = (users: UserView[]) => users.map((u) => ({ ...u, roles: u.grants.map((g) => `${g.role}@${g.path}`) }));
const checkRole = (role: string) => {
  if (!roles.includes(role)) throw new BurrowError('VALIDATION', `--role is one of ${roles.join(', ')}.`);
};
const path = (id: string) => `/v1/users/${encodeURIComponent(id)}`;

/** `burrow admin users …` and `burrow admin groups …`. */
export function registerUserCommands(admin: Command): void {
  const users = admin.command('users').description('accounts, their roles and authenticators');
  withCommon(users.command('list').description('list the users you administer')).action(async (o: HomeOpt) => {
    show(o, rows(await (await client(o)).call<UserView[]>('GET', '/v1/users')), ['id', 'email', 'disabled', 'totpEnrolled', 'roles']);
  });
  withCommon(
    users
      .command('create <email>')
      .description('create a user with a role on a group (unless given, a temporary password is printed: valid 24 h, replaced at the first sign-in)')
      .requiredOption('--role <role>', 'admin, operator or viewer')
      .requiredOption('--group <group>', 'the group the role applies to (and its subgroups)')
      .option('--password-file <file>', 'the initial password'),
  ).action(async (email: string, o: HomeOpt & { role: string; group: string; passwordFile?: string }) => {
    checkRole(o.role);
    const password = o.passwordFile ? await readSecretFile(o.passwordFile, 'password') : undefined;
    const r = await (await client(o)).call<{ id: string; temporaryPassword?: string }>('POST', '/v1/users', { email, role: o.role, group: o.group, ...(password ? { password } : {}) });
    if (o.json) printJson(r);
    else process.stdout.write(`Created ${email} (${r.id}).${r.temporaryPassword ? ` Temporary password, shown once (valid 24 h; the user chooses their own at the first sign-in): ${r.temporaryPassword}` : ''}\n`);
  });
  withCommon(users.command('show <user>').description('show one user')).action(async (id: string, o: HomeOpt) => {
    show(o, rows([await (await client(o)).call<UserView>('GET', path(id))]), ['id', 'email', 'disabled', 'totpEnrolled', 'roles']);
  });
  for (const [verb, text] of [
    ['disable', 'disable an account: ends its sign-ins, tokens and WebUI sessions at once'],
    ['enable', 'enable a disabled account'],
    ['reset-totp', 'remove the authenticator; the user enrolls a new one at next sign-in'],
    ['unlock', "end a sign-in lock at once: forget the account's failed sign-ins from every address"],
  ] as const) {
    users
      .command(`${verb} <user>`)
      .description(text)
      .option(...homeOption)
      .action(async (id: string, o: HomeOpt) => {
        await (await client(o)).call('POST', `${path(id)}/${verb}`);
        process.stdout.write(`Done: ${verb} ${id}.\n`);
      });
  }
  registerUserLifecycleCommands(users);
  withCommon(
    users
      .command('grant <user>')
      .description('give a user a role on a group')
      .requiredOption('--role <role>', 'admin, operator or viewer')
      .requiredOption('--group <group>', 'the group'),
  ).action(async (id: string, o: HomeOpt & { role: string; group: string }) => {
    checkRole(o.role);
    const u = await (await client(o)).call<UserView>('POST', `${path(id)}/grants`, { role: o.role, group: o.group });
    if (o.json) printJson(u);
    else process.stdout.write(`${u.email} now has: ${rows([u])[0]?.roles.join(', ') ?? ''}.\n`);
  });
  users
    .command('revoke-grant <user>')
    .description("remove a user's role on a group")
    .requiredOption('--group <group>', 'the group')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt & { group: string }) => {
      await (await client(o)).call('DELETE', `${path(id)}/grants/${encodeURIComponent(o.group)}`);
      process.stdout.write(`Removed the role of ${id} on ${o.group}.\n`);
    });

  const groups = admin.command('groups').description('the group tree: customers, sites');
  withCommon(groups.command('list').description('list the groups you can see')).action(async (o: HomeOpt) => {
    show(o, await (await client(o)).call<object[]>('GET', '/v1/groups'), ['id', 'path', 'role', 'rememberBrowserDays']);
  });
  withCommon(groups.command('create <name>').description('create a group').option('--parent <group>', 'the parent group', 'root')).action(
    async (name: string, o: HomeOpt & { parent: string }) => {
      const g = await (await client(o)).call<{ id: string }>('POST', '/v1/groups', { name, parent: o.parent });
      if (o.json) printJson(g);
      else process.stdout.write(`Created group ${name} (${g.id}).\n`);
    },
  );
  withCommon(
    groups
      .command('set <group>')
      .description('change a group setting')
      .option('--remember-browser-days <n>', 'days members may skip TOTP on a remembered browser (0-30, 0 = never)')
      .option('--record-shell <on|off>', "record terminal sessions on the group's nodes"),
  ).action(async (id: string, o: HomeOpt & { rememberBrowserDays?: string; recordShell?: string }) => {
    const body: { rememberBrowserDays?: number; recordShell?: boolean } = {};
    if (o.rememberBrowserDays !== undefined) {
      const days = Number(o.rememberBrowserDays);
      if (!Number.isInteger(days) || days < 0 || days > 30) throw new BurrowError('VALIDATION', '--remember-browser-days is a whole number from 0 to 30.');
      body.rememberBrowserDays = days;
    }
    if (o.recordShell !== undefined) {
      if (o.recordShell !== 'on' && o.recordShell !== 'off') throw new BurrowError('VALIDATION', '--record-shell is on or off.');
      body.recordShell = o.recordShell === 'on';
    }
    if (Object.keys(body).length === 0) throw new BurrowError('VALIDATION', 'Give a setting to change: --remember-browser-days or --record-shell.');
    const g = await (await client(o)).call<object>('PATCH', `/v1/groups/${encodeURIComponent(id)}`, body);
    if (o.json) printJson(g);
    else process.stdout.write(`Updated ${id}.\n`);
  });
  groups
    .command('delete <group>')
    .description('delete an empty group')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      await (await client(o)).call('DELETE', `/v1/groups/${encodeURIComponent(id)}`);
      process.stdout.write(`Deleted ${id}.\n`);
    });
}
