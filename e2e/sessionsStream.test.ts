import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionBrowser } from './sessionClient.js';
import { SessionStack } from './harness/sessionStack.js';
import { FakeApplianceWebui } from './sessionWebui.js';

const MiB = 1024 * 1024;
/** How far the server's resident memory may rise above its level before the transfer. */
const RSS_BOUND_MIB = 160;
const webui = new FakeApplianceWebui();
let stack: SessionStack;

/** VmRSS of a process, in bytes, from /proc. */
async function rss(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

/** Sends `text` over a fresh TCP connection from `localAddress` and collects what comes back until close or `want` bytes. */
function tcpExchange(port: number, localAddress: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const c = net.connect({ port, host: '127.0.0.1', localAddress }, () => c.write(text));
    c.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) c.end();
    });
    c.on('error', () => resolve(got));
    c.on('close', () => resolve(got));
  });
}

async function sessions(): Promise<SessionView[]> {
  return (await stack.request<SessionView[]>('GET', '/v1/sessions?all=true')).body;
}

before(async () => {
  await webui.start();
  stack = await SessionStack.start({ services: { webui: `127.0.0.1:${webui.httpPort}`, ssh: `127.0.0.1:${webui.tcpPort}` } });
});

after(async () => {
  await stack?.close();
  await webui.stop();
});

describe('sessions: streaming, tcp, and closing with their node', () => {
  it(`streams 1 GiB through the server with its RSS staying under +${RSS_BOUND_MIB} MiB`, async () => {
    const r = await stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName });
    const url = new URL(r.body.url);
    const b = new SessionBrowser(url.origin);
    await b.request(url.pathname + url.search);
    const pid = stack.server?.child.pid as number;
    await b.request('/download?mib=8');
    const base = await rss(pid);
    let peak = base;
    const sampler = setInterval(() => void rss(pid).then((v) => (peak = Math.max(peak, v))), 100);
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    const down = await b.request('/download?mib=1024', { sink: (c) => (bytes += c.length) });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    b.close();
    process.stdout.write(`# 1 GiB download: ${(1024 / secs).toFixed(1)} MiB/s, server RSS ${(base / MiB).toFixed(0)} -> peak ${(peak / MiB).toFixed(0)} MiB\n`);
    assert.equal(down.status, 200);
    assert.equal(bytes, 1024 * MiB);
    assert.ok(peak - base < RSS_BOUND_MIB * MiB, `server RSS rose ${((peak - base) / MiB).toFixed(0)} MiB, bound ${RSS_BOUND_MIB} MiB`);
  });

  it('relays raw TCP of a bare tcp session for its source address only', async () => {
    const r = await stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName, service: 'ssh', type: 'tcp', bare: true });
    assert.equal(r.status, 201);
    assert.equal(r.body.url, `tcp://127.0.0.1:${r.body.port}`);
    assert.equal(await tcpExchange(r.body.port, '127.0.0.1', 'SSH-2.0-probe\r\n'), 'SSH-2.0-probe\r\n');
    assert.equal(await tcpExchange(r.body.port, '127.0.0.2', 'SSH-2.0-probe\r\n'), '', 'another address gets nothing');
    const deny = (await stack.request<{ detail: Record<string, unknown> }[]>('GET', '/v1/audit?action=session.deny')).body;
    assert.ok(deny.some((a) => a.detail.sessionId === r.body.id));
  });

  it('prints the URL from `burrow admin session open`, and closes sessions when the node is revoked', async () => {
    const out = await stack.admin(['session', 'open', stack.nodeName]);
    const url = /https:\/\/\S+burrow_token=\S+/.exec(out)?.[0];
    assert.ok(url, out);
    const id = /Session (\S+) open/.exec(out)?.[1] as string;
    const node = (await stack.request<{ id: string }[]>('GET', '/v1/nodes')).body[0] as { id: string };
    assert.equal((await stack.request('POST', `/v1/nodes/${node.id}/revoke`)).status, 200);
    const s = (await sessions()).filter((x) => x.closeReason === 'node-revoked').map((x) => x.id);
    assert.ok(s.includes(id), 'the revoked node’s sessions are closed');
    assert.ok((await sessions()).every((x) => x.state === 'closed'));
  });
});
