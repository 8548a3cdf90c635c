import { nodeConfigSchema, type NodeConfig, type OnDemandSchedule } from '../shared/config.js';
import { BurrowError } from '../shared/errors.js';
import { ConnectSchedule } from './connectSchedule.js';
import { readNodeConfigFile, saveNodeConfig } from './nodeHome.js';

/** A mode as the operator (or the server) asks for it. */
export type ModeRequest = { mode: 'always-on' } | { mode: 'on-demand'; schedule: OnDemandSchedule };

/**
 * Writes a new connect mode into node.json; a running agent picks it up within a second.
 * The schedule is checked first, so a bad window never reaches the file.
 */
export async function setNodeMode(home: string, req: ModeRequest, lock?: boolean): Promise<NodeConfig> {
  if (req.mode === 'on-demand') new ConnectSchedule(req.schedule);
  // Start from the file itself, not the environment-overridden view of it.
  const raw = await readNodeConfigFile(home);
  const next: Record<string, unknown> = { ...raw, mode: req.mode };
  if (req.mode === 'on-demand') next.schedule = req.schedule;
  if (lock !== undefined) next.modeLocked = lock;
  const parsed = nodeConfigSchema.safeParse(next);
  if (!parsed.success) throw new BurrowError('CONFIG_INVALID', `node.json would be invalid: ${parsed.error.issues[0]?.message ?? ''}.`);
  await saveNodeConfig(home, parsed.data);
  return parsed.data;
}
