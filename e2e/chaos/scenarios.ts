import { apiFuzz } from './apiFuzz.js';
import { crashWrites } from './crashWrites.js';
import { exhaustion } from './exhaustion.js';
import { framingDifferential } from './framingDifferential.js';
import { hostileNode } from './hostileNode.js';
import { peerChecks } from './peerChecks.js';
import { sessionPortFuzz } from './sessionPortFuzz.js';
import { tunnelFuzz } from './tunnelFuzz.js';
import type { Scenario } from './chaosContext.js';

/** Every chaos scenario, in the order they run: attacks first, crashes last (they restart the server). */
export const SCENARIOS: [string, Scenario][] = [
  ['apiFuzz', apiFuzz],
  ['tunnelFuzz', tunnelFuzz],
  ['hostileNode', hostileNode],
  ['sessionPortFuzz', sessionPortFuzz],
  ['framingDifferential', framingDifferential],
  ['exhaustion', exhaustion],
  ['crashWrites', crashWrites],
  ['peerChecks', peerChecks],
];
