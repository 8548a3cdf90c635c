import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { summarize } from './lib/procStats.js';
import type { BurrowServer } from './lib/burrowStack.js';

/** Time from the authenticated API call to the first byte through the new port. */
export async function measureSessionOpen(server: BurrowServer, node: string, runs: number) {
  const creds = JSON.parse(await readFile(join(server.adminHome, 'cli.json'), 'utf8')) as { token: string; pin: string };
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const s = await requestJson<{ id: string; url: string }>(`${server.url}/v1/sessions`, { method: 'POST', body: { node, service: 'webui' }, token: creds.token, pin: creds.pin });
    await new Promise<void>((resolve, reject) => {
      https
        .get(s.url.replace(/\/?(\?|$)/, '/1k$1'), { rejectUnauthorized: false, agent: false }, (res) => {
          res.once('data', () => {
            samples.push(performance.now() - t0);
            res.destroy();
            resolve();
          });
          res.once('end', resolve);
        })
        .on('error', reject);
    });
    await requestJson(`${server.url}/v1/sessions/${s.id}`, { method: 'DELETE', token: creds.token, pin: creds.pin });
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...summarize(samples), p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0 };
}
