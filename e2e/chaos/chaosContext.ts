import type { Stack } from '../harness/stack.js';
import { enterSession } from '../harness/httpGet.js';
import type { Figures } from './figures.js';
import type { LiveSession } from './probes.js';
import type { ChaosSize } from './sizes.js';

/** What every scenario gets: the running stack, how hard to push, where to record, and a session that must keep working. */
export interface ChaosContext {
  stack: Stack;
  size: ChaosSize;
  figures: Figures;
  session: LiveSession;
}

/** A chaos scenario: one concept, recording into `ctx.figures`, never throwing for a broken promise. */
export type Scenario = (ctx: ChaosContext) => Promise<void>;

/** Opens a WebUI session on n1 as the admin and enters it like a browser. */
export async function openLiveSession(stack: Stack): Promise<LiveSession> {
  const s = await stack.adminJson<{ id: string; port: number; url: string }>(['session', 'open', 'n1']);
  const entered = await enterSession(s.url, stack.pin);
  return { id: s.id, port: s.port, origin: entered.origin, cookie: entered.cookie };
}

/** A loopback source address of its own for `n`, so per-address limits of one attack do not touch another. */
export function sourceAddress(n: number): string {
  return `127.${1 + ((n >> 16) & 0x3f)}.${(n >> 8) & 0xff}.${1 + (n & 0xfe)}`;
}
