import { keepYoungGenerationSmall, runsAgent } from './agentHeap.js';

// Tune V8 before the CLI and its dependencies load: loading them is already enough to grow
// the young generation.
if (runsAgent(process.argv)) keepYoungGenerationSmall();
await import('./program.js');
