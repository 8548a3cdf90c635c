import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { client, withCommon, type HomeOpt } from './adminShared.js';
import { ask, readSecretFile } from './prompt.js';

interface ProofOptions extends HomeOpt {
  passwordFile?: string;
  totp?: string;
}

/** The current password and a fresh authenticator code, from options or asked on the terminal. */
async function proof(o: ProofOptions): Promise<{ currentPassword: string; totp: string }> {
  const currentPassword = o.passwordFile ? await readSecretFile(o.passwordFile, 'password') : await ask('Current password: ', true);
  const totp = (o.totp ?? (await ask('Authenticator code: ', false))).trim();
  return { currentPassword, totp };
}

/** A new password: from a file, or typed twice on the terminal. */
async function newPassword(file: string | undefined): Promise<string> {
  if (file) return readSecretFile(file, 'new password');
  const first = await ask('New password: ', true);
  if ((await ask('New password again: ', true)) !== first) throw new BurrowError('VALIDATION', 'The two new passwords differ.');
  return first;
}

const proofOptions = (cmd: Command) =>
  withCommon(cmd.option('--password-file <file>', 'your current password (asked for when not given)').option('--totp <code>', 'a 6-digit code from your authenticator app (asked for when not given)'));

/** `burrow admin password` and `burrow admin email`: the signed-in user's own account. */
export function registerAccountCommands(admin: Command): void {
  proofOptions(
    admin
      .command('password')
      .description('change your own password (needs the current one and an authenticator code); your other sign-ins end, API tokens stay')
      .option('--new-password-file <file>', 'the new password (typed twice when not given)'),
  ).action(async (o: ProofOptions & { newPasswordFile?: string }) => {
    const p = await proof(o);
    const chosen = await newPassword(o.newPasswordFile);
    await (await client(o)).call('POST', '/v1/auth/password', { ...p, newPassword: chosen });
    if (o.json) printJson({ changed: true });
    else process.stdout.write('Password changed. Your other sign-ins have ended; this one stays.\n');
  });
  proofOptions(admin.command('email <new-email>').description('change your own email (needs your password and an authenticator code)')).action(
    async (email: string, o: ProofOptions) => {
      const r = await (await client(o)).call<{ userId: string; email: string }>('POST', '/v1/auth/email', { ...(await proof(o)), email });
      if (o.json) printJson(r);
      else process.stdout.write(`Your email is now ${r.email}; sign in with it from now on.\n`);
    },
  );
}
