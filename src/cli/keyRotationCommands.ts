import type { Command } from 'commander';
import { readFile, utimes } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BurrowError } from '../shared/errors.js';
import { client, homeOption, type HomeOpt } from './adminShared.js';
import { printJson } from './cliOutput.js';
import { resolveHome } from './homeDir.js';

/** How long `burrow node rotate-key` waits for the running agent to switch keys. */
const ROTATE_WAIT_MS = 20_000;

/**
 * `burrow node rotate-key`: marks the node's key as due (it backdates the key file, which
 * the running agent watches), so the agent registers a new key over its tunnel and signs
 * in with it, without a restart; then waits to see the new key in place.
 */
export function registerNodeRotateKeyCommand(node: Command): void {
  node
    .command('rotate-key')
    .description("rotate this node's SSH key now: the running agent registers a new key over its tunnel and reconnects with it")
    .option('--home <dir>', 'node state directory (env BURROW_HOME)')
    .action(async (o: { home?: string }) => {
      const home = resolveHome(o.home, process.env);
      // Imported here: `burrow admin` loads this file too, and needs neither the node's config schemas nor ssh2.
      const [{ loadNodeConfig, nodePaths, readAgentState }, { keyFingerprint }] = await Promise.all([import('../node/nodeHome.js'), import('../shared/sshKeys.js')]);
      await loadNodeConfig(home, process.env);
      const paths = nodePaths(home);
      const before = (await readFile(paths.publicKey, 'utf8')).trim();
      // Long past any rotation period, and a new mtime at each call, so the agent's watch
      // on the file sees every request (a second one after a refusal included).
      const longAgo = new Date(Date.now() % 86_400_000);
      await utimes(paths.privateKey, longAgo, longAgo);
      const state = await readAgentState(home);
      if (!state || !isAlive(state.pid)) {
        process.stdout.write('The agent is not running; it rotates the key as soon as it next connects to the server.\n');
        return;
      }
      const askedAt = Date.now();
      for (const until = askedAt + ROTATE_WAIT_MS; Date.now() < until; await sleep(250)) {
        const now = (await readFile(paths.publicKey, 'utf8')).trim();
        if (now !== before) {
          process.stdout.write(`The node's key is rotated: ${keyFingerprint(now)} (was ${keyFingerprint(before)}); the agent signs in with it from now on.\n`);
          return;
        }
        const refused = (await readAgentState(home))?.keyRotationRefused;
        if (refused && Date.parse(refused.at) >= askedAt - 1000) {
          throw new BurrowError('RATE_LIMITED', `The server refused the key rotation: ${refused.reason}. The agent tries again by itself once it may.`);
        }
      }
      throw new BurrowError(
        'NODE_OFFLINE',
        `The agent has not rotated the key within ${ROTATE_WAIT_MS / 1000} s: it needs its tunnel up, and the server allows one rotation per node per interval (see the agent's log); it keeps trying.`,
      );
    });
}

/** `burrow admin node rotate-key NODE`: asks a connected node, over its tunnel, to rotate its key. */
export function registerAdminRotateKeyCommand(node: Command): void {
  node
    .command('rotate-key <node>')
    .description('ask a connected node to rotate its SSH key now (over its tunnel); the server keeps only the new key once the node signs in with it')
    .option('--json', 'print JSON')
    .option(...homeOption)
    .action(async (id: string, o: HomeOpt) => {
      const r = await (await client(o)).call<{ node: string; requested: boolean }>('POST', `/v1/nodes/${encodeURIComponent(id)}/rotate-key`);
      if (o.json) printJson(r);
      else process.stdout.write(`Asked node ${id} to rotate its key; it registers a new key over its tunnel and reconnects with it (see "burrow admin audit --action node.key").\n`);
    });
}

/** Whether process `pid` exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
