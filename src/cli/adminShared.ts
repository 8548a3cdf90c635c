import type { Command } from 'commander';
import { AdminClient } from './adminClient.js';
import { printJson, printTable } from './cliOutput.js';
import { resolveHome } from './homeDir.js';

/** Options every admin command takes. */
export interface HomeOpt {
  home?: string;
  json?: boolean;
}

/** The API client of the login kept in --home. */
export const client = (o: HomeOpt) => AdminClient.open(resolveHome(o.home, process.env));

/** The --home option of admin commands. */
export const homeOption = ['--home <dir>', 'directory holding the CLI login (env BURROW_HOME)'] as const;

/** Prints `value` as JSON with --json, else as a table of `columns`. */
export function show(o: HomeOpt, value: readonly object[], columns: string[]): void {
  if (o.json) printJson(value);
  else printTable(value as Record<string, unknown>[], columns);
}

/** Adds --json and --home to a command. */
export function withCommon(cmd: Command): Command {
  return cmd.option('--json', 'print JSON').option(...homeOption);
}

/**
 * Prints rows like `show`, but a table names each row's `group` by its path (acme/site1)
 * instead of its id; --json keeps the API's document, ids included.
 */
export async function showNamingGroups(o: HomeOpt, api: AdminClient, rows: readonly object[], columns: string[]): Promise<void> {
  if (o.json) {
    printJson(rows);
    return;
  }
  const paths = await groupPaths(api);
  const named = (rows as Record<string, unknown>[]).map((r) => (typeof r.group === 'string' ? { ...r, group: paths.get(r.group) ?? r.group } : r));
  printTable(named, columns);
}

/** The path (acme/site1) of each group the caller can see, by id. */
export async function groupPaths(api: AdminClient): Promise<Map<string, string>> {
  const groups = await api.call<{ id: string; path: string }[]>('GET', '/v1/groups');
  return new Map(groups.map((g) => [g.id, g.path]));
}
