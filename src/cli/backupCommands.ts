import type { Command } from 'commander';
import { resolve } from 'node:path';
import { systemClock } from '../shared/clock.js';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';
import { ask, readSecretFile } from './prompt.js';

interface BackupOpts {
  home?: string;
  to: string;
  passphraseFile?: string;
  encrypt: boolean;
  secretsOnly?: boolean;
  json?: boolean;
}

interface RestoreOpts {
  home?: string;
  from: string;
  passphraseFile?: string;
  force?: boolean;
  json?: boolean;
}

/** A new backup's passphrase must resist guessing for as long as the backup is kept. */
const MIN_PASSPHRASE = 12;

/** The passphrase for a new backup: from the file, or typed twice on the terminal. */
async function newPassphrase(file: string | undefined): Promise<string> {
  const value = file ? await readSecretFile(file, 'passphrase') : await ask('Backup passphrase: ', true);
  if (value.length < MIN_PASSPHRASE) throw new BurrowError('VALIDATION', `A backup passphrase needs at least ${MIN_PASSPHRASE} characters.`);
  if (!file && (await ask('Repeat the passphrase: ', true)) !== value) throw new BurrowError('VALIDATION', 'The two passphrases differ; nothing was written.');
  return value;
}

/** `burrow server backup` and `burrow server restore`. */
export function registerBackupCommands(server: Command): void {
  server
    .command('backup')
    .description("write the server's database (a consistent snapshot, also while it runs) and its keys, certificate and config to one encrypted file")
    .requiredOption('--to <file>', 'the backup file to write (mode 0600, replaced atomically)')
    .option('--passphrase-file <file>', 'file holding the passphrase to encrypt with (otherwise it is asked for)')
    .option('--no-encrypt', 'write the backup unencrypted: it then holds the private keys in the clear')
    .option('--secrets-only', 'leave out the database and recordings (a PostgreSQL store: back it up with pg_dump)')
    .option('--home <dir>', 'server state directory (env BURROW_HOME)')
    .option('--json', 'print the result as JSON')
    .action(async (o: BackupOpts) => {
      const home = resolveHome(o.home, process.env);
      // The database snapshot passes through a file beside the backup: private like the rest.
      process.umask(0o077);
      if (!o.encrypt && o.passphraseFile) throw new BurrowError('VALIDATION', '--no-encrypt and --passphrase-file contradict each other; give one.');
      const passphrase = () => (o.encrypt ? newPassphrase(o.passphraseFile) : Promise.resolve(null));
      const { backupServer } = await import('../server/backup/serverBackup.js');
      const r = await backupServer({ home, to: resolve(o.to), passphrase, secretsOnly: o.secretsOnly === true, clock: systemClock });
      if (!r.encrypted) {
        process.stderr.write(`Warning: ${r.file} is NOT encrypted: it holds the server's private keys in the clear; keep it as private as the server home.\n`);
      }
      if (o.json) return printJson(r);
      const what = r.database ? 'database, keys, certificate and config' : 'keys, certificate and config (no database)';
      process.stdout.write(`Backed up the ${what} of ${home} to ${r.file} (${r.files} files, ${r.bytes} bytes, ${r.encrypted ? 'encrypted' : 'unencrypted'}).\n`);
    });

  server
    .command('restore')
    .description('restore a backup into a new or empty server home, after checking its integrity')
    .requiredOption('--from <file>', 'the backup file to restore')
    .option('--passphrase-file <file>', 'file holding the backup passphrase (otherwise it is asked for)')
    .option('--force', 'replace what a non-empty home holds (never while a server runs on it)')
    .option('--home <dir>', 'server state directory to restore into (env BURROW_HOME)')
    .option('--json', 'print the result as JSON')
    .action(async (o: RestoreOpts) => {
      const home = resolveHome(o.home, process.env);
      process.umask(0o077);
      const { restoreServer } = await import('../server/backup/serverRestore.js');
      const passphrase = () => (o.passphraseFile ? readSecretFile(o.passphraseFile, 'passphrase') : ask('Backup passphrase: ', true));
      const r = await restoreServer({ from: resolve(o.from), home, passphrase, force: o.force === true, clock: systemClock });
      if (o.json) return printJson(r);
      const next = r.database ? `Start it with: burrow server start --home ${home}` : 'The backup holds no database: restore the PostgreSQL store with pg_restore before starting the server.';
      process.stdout.write(`Restored ${home} from ${resolve(o.from)} (taken ${r.createdAt}, ${r.files} files). ${next}\n`);
    });
}
