import { resolveHome } from './homeDir.js';

/** Options every `burrow node` command on this node's state takes. */
export interface NodeOpts {
  home?: string;
  json?: boolean;
}

/** The --home option of node commands. */
export const nodeHomeOption = ['--home <dir>', 'node state directory (env BURROW_HOME)'] as const;

/** The node's state directory: --home, else BURROW_HOME, else ~/.burrow. */
export const nodeHomeOf = (o: NodeOpts): string => resolveHome(o.home, process.env);
