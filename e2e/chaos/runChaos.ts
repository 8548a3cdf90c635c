import { Stack } from '../harness/stack.js';
import { openLiveSession } from './chaosContext.js';
import { Figures } from './figures.js';
import { SCENARIOS } from './scenarios.js';
import { CHAOS_SERVER_CONFIG, CI_SIZE, FULL_SIZE, type ChaosSize } from './sizes.js';

/**
 * Runs the chaos scenarios against one real stack and returns the figures. `only` picks
 * scenarios by name (all when empty).
 */
export async function runChaos(size: ChaosSize, only: string[] = [], report: (line: string) => void = () => undefined): Promise<Figures> {
  const figures = new Figures();
  const stack = await Stack.start({ serverConfig: CHAOS_SERVER_CONFIG, nodeConfig: { backoffInitialMs: 200, backoffMaxMs: 1_000 } });
  try {
    const session = await openLiveSession(stack);
    for (const [name, scenario] of SCENARIOS) {
      if (only.length && !only.includes(name)) continue;
      const started = performance.now();
      try {
        await scenario({ stack, size, figures, session });
      } catch (err) {
        figures.fail(name, `the scenario itself failed: ${(err as Error).stack ?? String(err)}`);
      }
      report(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    figures.fail('setup', (err as Error).message);
  } finally {
    if (figures.failures.length) report(stack.procs.logTails(40));
    await stack.close();
  }
  return figures;
}

// `node dist/e2e/chaos/runChaos.js [--ci] [scenario…]`: what `make chaos` runs.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  const args = process.argv.slice(2);
  const size = args.includes('--ci') ? CI_SIZE : FULL_SIZE;
  const started = performance.now();
  const figures = await runChaos(size, args.filter((a) => !a.startsWith('--')), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`\nburrow chaos (${size.name} size, ${((performance.now() - started) / 1000).toFixed(0)} s)\n${figures.table()}\n`);
  if (figures.failures.length) {
    process.stdout.write(`\n${figures.failures.length} broken promise(s):\n${figures.failures.map((f) => `- ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
