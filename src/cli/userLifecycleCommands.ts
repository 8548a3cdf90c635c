import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { client, withCommon, type HomeOpt } from './adminShared.js';
import { ask } from './prompt.js';

const path = (id: string) => `/v1/users/${encodeURIComponent(id)}`;

/** Asks the person at the terminal to type the account's email before it is deleted. */
async function confirmDelete(user: string): Promise<void> {
  if (!process.stdin.isTTY) throw new BurrowError('VALIDATION', `Deleting ${user} cannot be undone; add --yes to confirm.`);
  const typed = (await ask(`Deleting ${user} cannot be undone. Type ${user} to confirm: `, false)).trim();
  if (typed !== user) throw new BurrowError('VALIDATION', `Not deleted: what you typed is not ${user}.`);
}

/** `burrow admin users delete|reset-password|set-email`: an account's life after creation. */
export function registerUserLifecycleCommands(users: Command): void {
  withCommon(
    users
      .command('delete <user>')
      .description('delete an account: its sign-ins, tokens and sessions end at once; the audit trail keeps its email')
      .option('--yes', 'do not ask for confirmation'),
  ).action(async (user: string, o: HomeOpt & { yes?: boolean }) => {
    if (!o.yes) await confirmDelete(user);
    await (await client(o)).call('DELETE', path(user));
    if (o.json) printJson({ deleted: user });
    else process.stdout.write(`Deleted ${user}.\n`);
  });
  withCommon(
    users.command('reset-password <user>').description("replace a user's password with a temporary one (valid 24 h, changed at the next sign-in); their sign-ins and tokens end"),
  ).action(async (user: string, o: HomeOpt) => {
    const r = await (await client(o)).call<{ email: string; temporaryPassword: string; temporaryPasswordExpiresAt: string }>('POST', `${path(user)}/reset-password`);
    if (o.json) printJson(r);
    else process.stdout.write(`Temporary password for ${r.email}, shown once (valid 24 h; the user chooses their own at the next sign-in): ${r.temporaryPassword}\n`);
  });
  withCommon(users.command('set-email <user> <new-email>').description("change another user's email (your own: burrow admin email)")).action(
    async (user: string, email: string, o: HomeOpt) => {
      const r = await (await client(o)).call<{ id: string; email: string }>('PATCH', path(user), { email });
      if (o.json) printJson(r);
      else process.stdout.write(`${user} is now ${r.email}.\n`);
    },
  );
}
