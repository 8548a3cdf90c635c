import fc from 'fast-check';
import { LlhttpReader, REQUEST_STREAM, framingAgrees } from '../../src/server/sessions/framingDifferential.js';
import type { ChaosContext } from './chaosContext.js';
import { FUZZ_SEED } from './sizes.js';

/**
 * The session relay's request framing against llhttp, full-size: generated and mutated
 * request streams, every one framed the same by both, and a WebUI behind llhttp receiving
 * exactly what burrow forwards. The unit suite runs the same property CI-sized.
 */
export async function framingDifferential(ctx: ChaosContext): Promise<void> {
  const { size, figures } = ctx;
  const row = figures.row('session framing vs llhttp');
  const llhttp = new LlhttpReader();
  await llhttp.start();
  try {
    const d = await fc.check(fc.asyncProperty(REQUEST_STREAM, (stream) => framingAgrees(llhttp, stream)), { seed: FUZZ_SEED, numRuns: size.framingRuns });
    row.cases += d.numRuns;
    if (d.failed) figures.fail('session framing vs llhttp', `${String(d.errorInstance)} (seed ${d.seed}, path ${d.counterexamplePath ?? ''})`);
  } finally {
    await llhttp.stop();
  }
}
