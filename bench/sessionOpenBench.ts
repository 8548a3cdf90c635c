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
    // A browser's first request trades the one-time token for a cookie (answered by the
    // port itself); the first byte from the node is the answer to the request after it.
    // Like a browser, the second request reuses the connection of the first.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    const entry = await firstByte(agent, s.url);
    await firstByte(agent, `${new URL(s.url).origin}/1k`, entry.cookie);
    samples.push(performance.now() - t0);
    agent.destroy();
    await requestJson(`${server.url}/v1/sessions/${s.id}`, { method: 'DELETE', token: creds.token, pin: creds.pin });
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...summarize(samples), p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0 };
}

/** GETs a URL and resolves at its first byte (or its end, for an empty body). */
function firstByte(agent: https.Agent, url: string, cookie?: string): Promise<{ cookie: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers: cookie ? { cookie } : {} }, (res) => {
        const set = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
        // Read to the end so the kept-alive connection is free for the next request.
        res.once('data', () => resolve({ cookie: set }));
        res.once('end', () => resolve({ cookie: set }));
        res.resume();
      })
      .on('error', reject);
  });
}
