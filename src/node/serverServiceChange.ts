import type { Logger } from '../shared/log.js';
import type { ServiceChange, StatusLine } from '../shared/protocol.js';
import { nodeConfigSchema } from '../shared/config.js';
import { parseConfigFile } from '../shared/configFile.js';
import { nodePaths, readNodeConfigFile, saveNodeConfig } from './nodeHome.js';
import { applyServerChange } from './serviceEdits.js';

/**
 * Applies a service change the server pushed: within the operator's allow-list, written to
 * node.json (from which the running agent re-announces its services), and answered on the
 * status channel. One change at a time, in the order they came.
 */
export class ServerServiceChanges {
  private queue = Promise.resolve();

  constructor(private readonly home: string, private readonly log: Logger) {}

  /** Queues `change`; its answer goes out through `send`. */
  apply(change: ServiceChange & { id: string }, send: (line: StatusLine) => void): void {
    this.queue = this.queue.then(async () => {
      const answer = await this.write(change).catch((err: Error) => ({ applied: false, refused: `node.json could not be written: ${err.message}` }));
      send({ serviceResult: { id: change.id, ...answer } });
    });
  }

  private async write(change: ServiceChange): Promise<{ applied: boolean; refused?: string }> {
    // From the file itself, not the environment-overridden view of it.
    const raw = await readNodeConfigFile(this.home);
    const file = nodePaths(this.home).config;
    const config = parseConfigFile(nodeConfigSchema, raw, file);
    const r = applyServerChange(config, change);
    if (!r.ok) {
      this.log.warn({ set: change.set, remove: change.remove, refused: r.refused }, 'refused a service change from the server');
      return { applied: false, refused: r.refused.slice(0, 500) };
    }
    await saveNodeConfig(this.home, parseConfigFile(nodeConfigSchema, { ...raw, services: r.settings.services }, file));
    this.log.info({ services: Object.keys(r.settings.services) }, 'applied a service change from the server');
    return { applied: true };
  }
}
