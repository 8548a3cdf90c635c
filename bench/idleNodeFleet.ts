import { generateEd25519 } from '../src/shared/sshKeys.js';
import { systemClock } from '../src/shared/clock.js';
import { nodeConfigSchema } from '../src/shared/config.js';
import { silentLogger } from '../src/shared/log.js';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { enrollResponseSchema, parseEnrollToken } from '../src/shared/enrollProtocol.js';
import { TunnelAgent } from '../src/node/tunnelAgent.js';
import { fleetSourceAddress } from './lib/sourceAddress.js';

/**
 * A load-generator process holding many idle nodes: each is our real TunnelAgent with
 * its own key, a real wss + SSH connection with keepalives. Run with fork(); it reports
 * over IPC: {type:'enrolled'}; {type:'start'} connects every node; {type:'stats'} is
 * answered with {type:'stats', connected, attempts, failures, rssKiB}; {type:'stop'} ends it.
 */
interface Args {
  serverUrl: string;
  token: string;
  count: number;
  prefix: string;
  /** This process's first node's index in the whole fleet. */
  firstIndex?: number;
  /** Nodes sharing one loopback source address (fleetSourceAddress); absent, the kernel picks (127.0.0.1). */
  perAddress?: number;
  /** Nodes of this process making their first connection at once (64 unless told); see startPaced. */
  firstConnects?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const pin = parseEnrollToken(args.token)?.pin;
if (!pin) throw new Error('the fleet needs an enrollment token');

let attempts = 0;
let failures = 0;
const agents: TunnelAgent[] = [];
/** Nodes started and not yet through their first attempt. */
let firstAttempts = 0;
/** Agents not started yet (startPaced). */
let unstarted: TunnelAgent[] = [];
/** Agents whose first attempt is still under way. */
const inFirst = new Set<TunnelAgent>();

/**
 * Starts every node, at most `firstConnects` of them on their first attempt at a time. In
 * the field each node has a CPU of its own; here thousands share one process, and started
 * all at once their client-side handshakes starve each other past every timeout, so the
 * figure would measure this generator rather than the server. Retries are not paced: they
 * follow each agent's own backoff, as in the field.
 */
function startPaced(): void {
  while (firstAttempts < (args.firstConnects ?? 64) && unstarted.length) {
    const a = unstarted.shift() as TunnelAgent;
    firstAttempts++;
    inFirst.add(a);
    a.start();
  }
}

function firstAttemptDone(a: TunnelAgent): void {
  if (!inFirst.delete(a)) return;
  firstAttempts--;
  startPaced();
}

async function enrollOne(i: number): Promise<void> {
  const keys = generateEd25519();
  const name = `${args.prefix}-${i}`;
  const answer = enrollResponseSchema.parse(
    await requestJson(new URL('/v1/enroll', args.serverUrl).toString(), { method: 'POST', body: { token: args.token, name, publicKey: keys.public, services: [] }, pin }),
  );
  const config = nodeConfigSchema.parse({ serverUrl: args.serverUrl, nodeId: answer.nodeId, name, tlsPin: pin, sshHostKey: answer.sshHostKey, services: {} });
  const agent = new TunnelAgent({
    config,
    privateKey: () => keys.private,
    clock: systemClock,
    log: silentLogger(),
    ...(args.perAddress ? { localAddress: fleetSourceAddress((args.firstIndex ?? 0) + i, args.perAddress) } : {}),
    onReport: (r) => {
      if (r.state === 'connecting') attempts++;
      if (r.state === 'waiting') failures++;
      if (r.state === 'connected' || r.state === 'waiting') firstAttemptDone(agent);
    },
  });
  agents.push(agent);
}

async function main(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < args.count) await enrollOne(next++);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  process.send?.({ type: 'enrolled' });
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'start') {
    unstarted = [...agents];
    startPaced();
  } else if (m.type === 'stats') {
    const connected = agents.filter((a) => a.state === 'connected').length;
    process.send?.({ type: 'stats', connected, attempts, failures, rssKiB: Math.round(process.memoryUsage().rss / 1024) });
  } else if (m.type === 'stop') {
    void Promise.all(agents.map((a) => a.stop())).then(() => process.exit(0));
  }
});

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message });
  process.exit(1);
});
