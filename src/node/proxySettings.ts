import { join } from 'node:path';
import type { NodeConfig } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';
import { SecretBox } from '../shared/secretBox.js';
import type { ProxyTarget } from './proxyConnect.js';

/** Binds sealed proxy passwords to their use, so they cannot be swapped for another secret. */
const SEAL_CONTEXT = 'node-proxy-password';

/** The node's key file for secrets at rest (created 0600 on first use). */
export function nodeSecretBox(home: string): Promise<SecretBox> {
  return SecretBox.fromKeyFile(join(home, 'secret.key'));
}

/** Splits `http://user:pass@host:port` into the URL and its credentials. */
export function splitProxyUrl(text: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new BurrowError('VALIDATION', `"${text}" is not a proxy URL; use http://host:port or https://host:port.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BurrowError('VALIDATION', 'The proxy URL must start with http:// or https://.');
  const out: { url: string; username?: string; password?: string } = { url: `${u.protocol}//${u.host}` };
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  return out;
}

/** The proxy settings to store in node.json, with the password sealed. */
export async function sealProxy(home: string, p: { url: string; username?: string; password?: string }): Promise<NonNullable<NodeConfig['proxy']>> {
  const box = await nodeSecretBox(home);
  return {
    url: p.url,
    ...(p.username !== undefined ? { username: p.username } : {}),
    ...(p.password !== undefined ? { sealedPassword: box.seal(p.password, SEAL_CONTEXT) } : {}),
  };
}

/** Whether NO_PROXY (comma-separated hosts, .suffixes or *) exempts `host`. */
export function noProxyMatches(noProxy: string | undefined, host: string): boolean {
  if (!noProxy) return false;
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return noProxy
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/:\d+$/, ''))
    .filter(Boolean)
    .some((e) => e === '*' || h === e.replace(/^\./, '') || h.endsWith(e.startsWith('.') ? e : `.${e}`));
}

/**
 * The proxy the agent uses to reach the server: node.json's (set by `burrow node proxy
 * set`), else HTTPS_PROXY unless NO_PROXY exempts the server; undefined for a direct line.
 */
export async function resolveProxy(config: NodeConfig, env: NodeJS.ProcessEnv, home: string): Promise<ProxyTarget | undefined> {
  if (config.proxy) {
    const { url, username, sealedPassword } = config.proxy;
    const password = sealedPassword ? (await nodeSecretBox(home)).open(sealedPassword, SEAL_CONTEXT) : undefined;
    return { url, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  }
  const fromEnv = env.HTTPS_PROXY ?? env.https_proxy;
  if (!fromEnv || noProxyMatches(env.NO_PROXY ?? env.no_proxy, new URL(config.serverUrl).hostname)) return undefined;
  return splitProxyUrl(fromEnv);
}
