import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { NODE_ENV_VARIABLES, nodeConfigSchema, nodeEnvOverrides, type NodeConfig } from '../shared/config.js';
import { parseConfigFile } from '../shared/configFile.js';
import type { ConditionState } from '../shared/conditions.js';
import { BurrowError } from '../shared/errors.js';
import { readJsonFile, writeFileAtomic } from '../shared/secureFiles.js';

/** Where each piece of a node's state lives inside its home directory. */
export function nodePaths(home: string) {
  return {
    config: join(home, 'node.json'),
    privateKey: join(home, 'id_ed25519'),
    publicKey: join(home, 'id_ed25519.pub'),
    state: join(home, 'state.json'),
    usedManifests: join(home, 'used-manifests.json'),
    /** The condition rules administrators defined, as the server last delivered them (checked again at each load). */
    adminConditions: join(home, 'admin-conditions.json'),
  };
}

/** Reads node.json (with environment overrides), or says the node is not enrolled. */
export async function loadNodeConfig(home: string, env: NodeJS.ProcessEnv = {}): Promise<NodeConfig> {
  const file = nodePaths(home).config;
  return parseConfigFile(nodeConfigSchema, await readNodeConfigFile(home), file, { values: nodeEnvOverrides(env), variables: NODE_ENV_VARIABLES });
}

/** node.json as stored (no environment overrides), for commands that rewrite it; refused like loadNodeConfig when invalid. */
export async function readNodeConfigFile(home: string): Promise<Record<string, unknown>> {
  const file = nodePaths(home).config;
  const raw = await readJsonFile(file);
  if (raw === undefined) throw new BurrowError('NOT_ENROLLED', `This node is not enrolled (no node.json in ${home}); run "burrow node enroll" first.`);
  parseConfigFile(nodeConfigSchema, raw, file);
  return raw as Record<string, unknown>;
}

/** Writes node.json atomically, readable only by its owner. */
export async function saveNodeConfig(home: string, config: NodeConfig): Promise<void> {
  await writeFileAtomic(nodePaths(home).config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

/** The node's private key (OpenSSH format). */
export function readPrivateKey(home: string): Promise<string> {
  return readFile(nodePaths(home).privateKey, 'utf8');
}

/** What a running agent last said about itself, for `burrow node status`. */
export interface AgentStateFile {
  state: string;
  mode: 'always-on' | 'on-demand';
  /** What the connect-mode controller is doing: always-on, sleeping, checking-in, holding. */
  connect: string;
  nextCheckInAt: string | null;
  lastCheckInAt: string | null;
  pid: number;
  since: string;
  lastConnectedAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  /** The server's last refusal of a key rotation (too soon after the last one), if any. */
  keyRotationRefused?: { at: string; reason: string } | null;
  /** The condition rules' states (src/node/conditions/). */
  conditions?: ConditionState[];
}

/** Records the agent's state for other commands to read. */
export async function writeAgentState(home: string, s: AgentStateFile): Promise<void> {
  await writeFileAtomic(nodePaths(home).state, `${JSON.stringify(s, null, 2)}\n`, 0o600);
}

/** The agent's last recorded state, if an agent ever ran here. */
export async function readAgentState(home: string): Promise<AgentStateFile | undefined> {
  return (await readJsonFile(nodePaths(home).state)) as AgentStateFile | undefined;
}

/** Records the server's TLS pin the agent learned (a certificate renewed with a new key) in node.json. */
export async function saveTlsPin(home: string, pin: string): Promise<void> {
  // From the file itself, not the environment-overridden view of it.
  const raw = await readNodeConfigFile(home);
  await saveNodeConfig(home, parseConfigFile(nodeConfigSchema, { ...raw, tlsPin: pin }, nodePaths(home).config));
}
