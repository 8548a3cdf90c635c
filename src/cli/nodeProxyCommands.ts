import type { Command } from 'commander';
import { nodeConfigSchema } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';
import { loadNodeConfig, readNodeConfigFile, saveNodeConfig } from '../node/nodeHome.js';
import { sealProxy, splitProxyUrl } from '../node/proxySettings.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';
import { readSecretFile } from './prompt.js';

interface Opts {
  home?: string;
  json?: boolean;
}

/** Rewrites node.json with `proxy` (undefined: no proxy); a running agent dials again through it at once. */
async function writeProxy(home: string, proxy: unknown): Promise<void> {
  const raw = await readNodeConfigFile(home);
  const next = { ...raw, proxy };
  if (proxy === undefined) delete next.proxy;
  const parsed = nodeConfigSchema.safeParse(next);
  if (!parsed.success) throw new BurrowError('VALIDATION', `The proxy settings are invalid: ${parsed.error.issues[0]?.message ?? ''}.`);
  await saveNodeConfig(home, parsed.data);
}

/** `burrow node proxy set|clear|show`: the HTTP(S) proxy the agent reaches the server through. */
export function registerNodeProxyCommands(node: Command): void {
  const proxy = node.command('proxy').description('reach the server through an HTTP(S) proxy (CONNECT; NTLMv2, Digest or Basic auth)');

  proxy
    .command('set <url>')
    .description('use this proxy, e.g. http://proxy.lan:3128 or http://user:pass@proxy.lan:3128')
    .option('--user <name>', 'proxy user name (DOMAIN\\user for NTLM)')
    .option('--password-file <file>', 'read the proxy password from this file')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (url: string, o: Opts & { user?: string; passwordFile?: string }) => {
      const home = resolveHome(o.home, process.env);
      const parts = splitProxyUrl(url);
      const username = o.user ?? parts.username;
      const password = o.passwordFile ? await readSecretFile(o.passwordFile, 'proxy password') : parts.password;
      if (password !== undefined && username === undefined) throw new BurrowError('VALIDATION', 'A proxy password needs a user name; give --user.');
      await writeProxy(home, await sealProxy(home, { url: parts.url, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) }));
      process.stdout.write(`Proxy set to ${parts.url}${username ? ` as ${username} (password stored encrypted)` : ''}.\n`);
    });

  proxy
    .command('clear')
    .description('connect directly again (or through HTTPS_PROXY, if set)')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (o: Opts) => {
      await writeProxy(resolveHome(o.home, process.env), undefined);
      process.stdout.write('Proxy cleared.\n');
    });

  proxy
    .command('show')
    .description('show the proxy settings (never the password)')
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => {
      const p = (await loadNodeConfig(resolveHome(o.home, process.env))).proxy;
      const view = p ? { url: p.url, username: p.username ?? null, password: p.sealedPassword ? 'stored encrypted' : null } : null;
      if (o.json) printJson(view);
      else process.stdout.write(view ? `${view.url}${view.username ? ` as ${view.username}` : ''}\n` : 'No proxy configured.\n');
    });
}
