import { generateEd25519 } from '../shared/sshKeys.js';
import { BurrowError } from '../shared/errors.js';
import { enrollResponseSchema, parseEnrollToken, type EnrollRequest } from '../shared/enrollProtocol.js';
import { requestJson } from '../shared/pinnedHttps.js';
import { ensureHome, exists, writeFileAtomic } from '../shared/secureFiles.js';
import { nodeConfigSchema, type NodeConfig } from '../shared/config.js';
import { nodePaths, saveNodeConfig } from './nodeHome.js';
import { AGENT_VERSION } from './agentVersion.js';

/** What a node exposes when nobody named its services. */
const DEFAULT_SERVICES: Record<string, string> = { webui: '127.0.0.1:80' };

/** What the node operator gives `burrow node enroll`. */
export interface EnrollOptions {
  home: string;
  serverUrl: string;
  token: string;
  name: string;
  /** The services the operator gave; unset, the server's list for a pre-registered node, else webui=127.0.0.1:80. */
  services?: Record<string, string>;
  /** Labels (key=value) to ask for. */
  labels?: Record<string, string>;
}

/**
 * Makes the node's key (0600), presents it with the token to the server over TLS pinned
 * by the token, and saves what the server answered. Nothing is written if it fails.
 */
export async function enroll(o: EnrollOptions): Promise<{ config: NodeConfig; status: 'pending' | 'approved' }> {
  const paths = nodePaths(o.home);
  if (await exists(paths.config)) throw new BurrowError('ALREADY_INITIALIZED', `This node is already enrolled (${paths.config}); use another --home to enroll again.`);
  const token = parseEnrollToken(o.token);
  if (!token) throw new BurrowError('VALIDATION', 'That is not a burrow enrollment token (they look like bre_…); copy it again from "burrow admin enroll-token create".');
  let base: URL;
  try {
    base = new URL(o.serverUrl);
  } catch {
    throw new BurrowError('VALIDATION', `"${o.serverUrl}" is not a URL; give the server's address as https://host:port.`);
  }
  if (base.protocol !== 'https:') throw new BurrowError('VALIDATION', 'The server URL must start with https://.');

  const keys = generateEd25519();
  const asked = o.services ?? DEFAULT_SERVICES;
  const body: EnrollRequest = { token: o.token, name: o.name, publicKey: keys.public, services: Object.keys(asked), agentVersion: AGENT_VERSION, ...(o.labels ? { labels: o.labels } : {}) };
  const answer = enrollResponseSchema.parse(await requestJson(new URL('/v1/enroll', base).toString(), { method: 'POST', body, pin: token.pin }));

  // A pre-registered node (CSV import) runs the services its administrator listed for it,
  // unless the operator named services here: what the node exposes stays the operator's call.
  const services = o.services ?? answer.services ?? DEFAULT_SERVICES;
  const config = nodeConfigSchema.parse({
    serverUrl: base.origin,
    nodeId: answer.nodeId,
    name: o.name,
    tlsPin: token.pin,
    sshHostKey: answer.sshHostKey,
    services,
    // What the node exposes at enrollment is what the server may later point services at.
    allowedTargets: [...new Set(Object.values(services))],
  });
  await ensureHome(o.home);
  await writeFileAtomic(paths.privateKey, keys.private, 0o600);
  await writeFileAtomic(paths.publicKey, `${keys.public}\n`, 0o644);
  await saveNodeConfig(o.home, config);
  return { config, status: answer.status };
}
