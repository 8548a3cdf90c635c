import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { NodeConfig } from '../../shared/config.js';
import type { NodeStatusReport } from '../../shared/protocol.js';
import { BUNDLE_LOG_TAIL } from '../../shared/fileProtocol.js';
import { AGENT_VERSION } from '../agentVersion.js';

/** What the bundle says about the machine, beside the agent's status. */
function systemFacts(config: NodeConfig): Record<string, unknown> {
  return {
    agentVersion: AGENT_VERSION,
    node: { id: config.nodeId, name: config.name, mode: config.mode, services: Object.keys(config.services) },
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    uptimeSeconds: os.uptime(),
    cpus: os.cpus().length,
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    loadAverage: os.loadavg(),
    network: Object.fromEntries(Object.entries(os.networkInterfaces()).map(([name, addrs]) => [name, (addrs ?? []).map((a) => `${a.address}/${a.netmask}`)])),
    node_js: process.version,
  };
}

/** Adds the last BUNDLE_LOG_TAIL bytes of `path` (or a note of why not) to the bundle. */
async function addLog(pack: tar.Pack, path: string, taken: Set<string>): Promise<void> {
  let name = `logs/${basename(path)}`;
  for (let n = 2; taken.has(name); n++) name = `logs/${basename(path)}.${n}`;
  taken.add(name);
  // O_NONBLOCK: a FIFO opens at once (and is noted below) instead of waiting for a writer.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => err);
  if (handle instanceof Error) {
    pack.entry({ name: `${name}.unreadable.txt` }, `${path}: ${handle.code ?? handle.message}\n`);
    return;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      pack.entry({ name: `${name}.unreadable.txt` }, `${path}: not a regular file\n`);
      return;
    }
    const { size } = st;
    const length = Math.min(size, BUNDLE_LOG_TAIL);
    if (length === 0) {
      pack.entry({ name }, '');
      return;
    }
    // The size is fixed now: a log that grows while it is read is cut at this length.
    const entry = pack.entry({ name, size: length });
    const stream = handle.createReadStream({ start: size - length, end: size - 1, autoClose: false });
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      entry.on('error', reject);
      entry.on('finish', () => resolve());
      stream.pipe(entry);
    });
  } finally {
    await handle.close();
  }
}

/**
 * A support bundle as a gzipped tar stream: the agent's status now, facts about the
 * system, and the tail of each log file the operator listed. Made as it is sent, so a
 * large bundle never sits in memory.
 */
export function supportBundle(config: NodeConfig, status: () => Promise<NodeStatusReport>): Readable {
  const pack = tar.pack();
  const gzip = createGzip();
  void (async () => {
    pack.entry({ name: 'status.json' }, `${JSON.stringify(await status(), null, 2)}\n`);
    pack.entry({ name: 'system.json' }, `${JSON.stringify(systemFacts(config), null, 2)}\n`);
    const taken = new Set<string>();
    for (const path of config.files.bundleLogs) await addLog(pack, path, taken);
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  pack.on('error', (err) => gzip.destroy(err));
  return pack.pipe(gzip);
}
