import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The --home of a command: the option, else BURROW_HOME, else ~/.burrow. */
export function resolveHome(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(option ?? env.BURROW_HOME ?? join(homedir(), '.burrow'));
}
