import type { Command } from 'commander';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { client, homeOption, showNamingGroups, withCommon, type HomeOpt } from './adminShared.js';

const columns = ['id', 'name', 'scope', 'group', 'expiresAt', 'lastUsedAt', 'revokedAt'];

/** `burrow admin tokens …`: API tokens for automation. */
export function registerTokenCommands(admin: Command): void {
  const tokens = admin.command('tokens').description('API tokens for automation (scoped, expiring, shown once)');
  withCommon(tokens.command('list').description('list your API tokens').option('--user <id>', 'a user you administer')).action(
    async (o: HomeOpt & { user?: string }) => {
      const q = o.user ? `?user=${encodeURIComponent(o.user)}` : '';
      const api = await client(o);
      await showNamingGroups(o, api, await api.call<object[]>('GET', `/v1/tokens${q}`), columns);
    },
  );
  withCommon(
    tokens
      .command('create <name>')
      .description('create an API token; its secret is shown once')
      .requiredOption('--scope <scope>', 'read, operate or admin')
      .option('--ttl <duration>', 'lifetime, at most 1 year (e.g. 30d)', '90d')
      .option('--group <group>', 'limit the token to this group and its subgroups'),
  ).action(async (name: string, o: HomeOpt & { scope: string; ttl: string; group?: string }) => {
    if (!['read', 'operate', 'admin'].includes(o.scope)) throw new BurrowError('VALIDATION', '--scope is read, operate or admin.');
    const t = await (await client(o)).call<{ id: string; token: string; expiresAt: string }>('POST', '/v1/tokens', { name, scope: o.scope, ttl: o.ttl, ...(o.group ? { group: o.group } : {}) });
    if (o.json) printJson(t);
    else process.stdout.write(`Token ${t.id} (expires ${t.expiresAt}); shown once:\n  ${t.token}\n`);
  });
  tokens
    .command('revoke <id>')
    .description('revoke an API token at once')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      await (await client(o)).call('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`Revoked ${id}.\n`);
    });
  withCommon(tokens.command('reissue <id>').description('give a token a new secret (the old one stops working)')).action(async (id: string, o: HomeOpt) => {
    const t = await (await client(o)).call<{ id: string; token: string }>('POST', `/v1/tokens/${encodeURIComponent(id)}/reissue`);
    if (o.json) printJson(t);
    else process.stdout.write(`New secret for ${t.id}, shown once:\n  ${t.token}\n`);
  });
}
