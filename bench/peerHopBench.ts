import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/log.js';
import { pinOfPem } from '../src/shared/tlsPin.js';
import { MtlsPeerDialer } from '../src/server/cluster/mtlsPeerDialer.js';
import { newPeerKeyPair } from '../src/server/cluster/peerCredentials.js';
import { PeerLinkServer } from '../src/server/cluster/peerLinkServer.js';
import { startInProcessNode } from '../src/server/testing/inProcessNode.js';
import { summarize } from './lib/procStats.js';
import type { Row } from './lib/report.js';

/** Download rates through one node channel, without and with the peer link in front of it. */
export interface PeerHopFigures {
  bytes: number;
  direct: ReturnType<typeof summarize>;
  peerHop: ReturnType<typeof summarize>;
}

const CHUNK = Buffer.alloc(1024 * 1024, 0x5a);
const origin = { ip: '127.0.0.1', port: 1 };

/**
 * What the extra hop of proxy peering costs a transfer: `bytes` from a node's service read
 * through a real node channel (SSH, as the holding instance opens it) directly, and through
 * the peer link in front of it (mutual TLS out of one instance and into the other, then the
 * same channel), alternating, `runs` times each. Both ends of every link run in this one
 * process, so the ratio counts all the CPU a hop adds, whichever instance pays it.
 */
export async function measurePeerHop(bytes: number, runs: number): Promise<PeerHopFigures> {
  const source = net.createServer((s) => {
    s.on('error', () => undefined);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  source.listen(0, '127.0.0.1');
  await once(source, 'listening');
  const node = await startInProcessNode('bench-node', { bulk: (source.address() as net.AddressInfo).port });
  const pair = await newPeerKeyPair();
  const credentials = { ...pair, pin: pinOfPem(pair.cert) };
  const link = new PeerLinkServer({ credentials, localNode: () => node.conn, clock: systemClock, log: silentLogger(), audit: () => Promise.resolve() });
  await link.listen('127.0.0.1:0');
  const dialer = new MtlsPeerDialer({ credentials, clock: systemClock });
  const url = `https://127.0.0.1:${link.port}`;
  const direct: number[] = [];
  const peerHop: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      direct.push(await rate(bytes, () => node.conn.openService('bulk', origin)));
      peerHop.push(await rate(bytes, () => dialer.openService(url, 'bench-node', 'bulk', origin)));
    }
  } finally {
    await dialer.close();
    await link.close();
    await node.disconnect();
    source.close();
  }
  return { bytes, direct: summarize(direct), peerHop: summarize(peerHop) };
}

/** MiB/s of reading a whole stream from open to end. */
async function rate(bytes: number, open: () => Promise<Duplex>): Promise<number> {
  const t0 = performance.now();
  const s = await open();
  let got = 0;
  s.on('data', (c: Buffer) => (got += c.length));
  await once(s, 'end');
  s.end();
  if (got !== bytes) throw new Error(`read ${got} bytes of ${bytes}`);
  return bytes / 1024 / 1024 / ((performance.now() - t0) / 1000);
}

/** The bench table's rows: both rates, the hop's as a ratio to the direct channel's. */
export function peerHopRows(f: PeerHopFigures): Row[] {
  const spread = (s: ReturnType<typeof summarize>) => `${s.min.toFixed(0)}–${s.max.toFixed(0)} (n=${s.n})`;
  return [
    { figure: `download ${f.bytes / 1024 / 1024} MiB`, path: 'node channel, direct', value: f.direct.median, unit: 'MiB/s', spread: spread(f.direct) },
    { figure: `download ${f.bytes / 1024 / 1024} MiB`, path: 'node channel via peer hop', value: f.peerHop.median, unit: 'MiB/s', spread: spread(f.peerHop), ratio: { against: 'direct', value: f.peerHop.median / f.direct.median } },
  ];
}
