import { SERVER_ENV_VARIABLES, serverConfigSchema, serverEnvOverrides, type ServerConfig } from '../shared/config.js';
import { parseConfigFile } from '../shared/configFile.js';
import { BurrowError } from '../shared/errors.js';
import { readJsonFile } from '../shared/secureFiles.js';
import { serverPaths } from './serverHome.js';

/** Reads server.json and applies environment overrides. */
export async function loadServerConfig(home: string, env: NodeJS.ProcessEnv): Promise<ServerConfig> {
  const file = serverPaths(home).config;
  const raw = await readJsonFile(file);
  if (raw === undefined) throw new BurrowError('NOT_INITIALIZED', `No burrow server in ${home}; run "burrow server init" first.`);
  return parseConfigFile(serverConfigSchema, raw, file, { values: serverEnvOverrides(env), variables: SERVER_ENV_VARIABLES });
}
