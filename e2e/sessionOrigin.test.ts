import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { WebSocketServer } from 'ws';
import type { SessionView } from '../src/shared/protocol.js';
import { SessionStack } from './harness/sessionStack.js';
import { waitFor } from './harness/waitFor.js';


/** A WebUI that logs every request and upgrade it sees, and whose WebSocket server refuses foreign Origins, as Cockpit's does. */
class StrictWebui {
  readonly seen: string[] = [];
  port = 0;
  private readonly server = http.createServer((req, res) => {
    this.seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>webui</title><p>webui</p>');
  });

  async start(): Promise<void> {
    const wss = new WebSocketServer({
      server: this.server,
      verifyClient: (info: { origin: string; req: http.IncomingMessage }) => {
        this.seen.push(`WS ${info.req.url} ${info.origin}`);
        return info.origin === `http://127.0.0.1:${this.port}`;
      },
    });
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('session ports refuse other origins', () => {
  const a = new StrictWebui();
  const b = new StrictWebui();
  let stack: SessionStack;
  let browser: TestBrowser;
  let context: BrowserContext;

  before(async () => {
    await a.start();
    await b.start();
    stack = await SessionStack.start({ services: { a: `127.0.0.1:${a.port}`, b: `127.0.0.1:${b.port}` } });
    browser = await launchChromium();
    context = browser.context;
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await a.stop();
    await b.stop();
  });

  /** Opens a session on `service` and enters it in a tab of the shared browser. */
  async function enter(service: string): Promise<{ s: SessionView; page: Page; origin: string }> {
    const r = await stack.request<SessionView>('POST', '/v1/sessions', { node: stack.nodeName, service });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const page = await context.newPage();
    await page.goto(r.body.url);
    assert.equal(await page.textContent('p'), 'webui');
    return { s: r.body, page, origin: new URL(r.body.url).origin };
  }

  it('keeps a page of one session from reaching another session\'s WebUI, and lets its own WebSocket through', async () => {
    const sa = await enter('a');
    const sb = await enter('b');
    b.seen.length = 0;
    const attack = await sa.page.evaluate(async (target: string) => {
      const ws = await new Promise<string>((resolve) => {
        const s = new WebSocket(`${target.replace('https:', 'wss:')}/ws`);
        s.onopen = () => resolve('opened');
        s.onerror = () => resolve('refused');
      });
      const post = await fetch(`${target}/change`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x=1' }).then(() => 'sent', () => 'failed');
      return { ws, post };
    }, sb.origin);
    assert.equal(attack.ws, 'refused');
    assert.ok(['sent', 'failed'].includes(attack.post), attack.post);
    const denials = await waitFor('both refusals in the audit log', async () => {
      const r = await stack.request<{ detail: { sessionId: string; reason: string } }[]>('GET', '/v1/audit?action=session.deny&limit=50');
      const reasons = r.body.filter((e) => e.detail.sessionId === sb.s.id).map((e) => e.detail.reason).sort();
      return reasons.length >= 2 ? reasons : undefined;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(denials, ['cross-origin POST', 'cross-origin websocket']);
    assert.deepEqual(b.seen, [], 'B\'s WebUI received nothing from A\'s page');

    const own = await sa.page.evaluate(() => new Promise<string>((resolve) => {
      const s = new WebSocket(`${location.origin.replace('https:', 'wss:')}/ws`);
      s.onopen = () => s.send('hi');
      s.onmessage = (m: MessageEvent<string>) => resolve(m.data);
      s.onerror = () => resolve('refused');
    }));
    assert.equal(own, 'echo:hi', 'A\'s own WebSocket reaches a WebUI that checks Origin');
    await sa.page.close();
    await sb.page.close();
  });
});
