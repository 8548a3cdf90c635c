import type { NodeRecord } from '../store/nodeStore.js';

/**
 * Why a node may not rotate its key now, or undefined when it may: a node registers a
 * rotated key at most once per `minIntervalMs`, so neither a hostile agent nor a loop of
 * requests can churn keys (and audit rows).
 */
export function keyRotationRefusal(node: Pick<NodeRecord, 'name' | 'keyRegisteredAt'>, now: number, minIntervalMs: number): string | undefined {
  if (node.keyRegisteredAt === null || now - node.keyRegisteredAt >= minIntervalMs) return undefined;
  const nextAt = new Date(node.keyRegisteredAt + minIntervalMs).toISOString();
  return `node ${node.name} rotated its key less than ${formatDuration(minIntervalMs)} ago; one rotation per ${formatDuration(minIntervalMs)} is allowed, the next from ${nextAt}`;
}

/** "1h", "10m", "2s": the largest unit that expresses `ms` whole. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
