import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import type { NodeView, SessionView } from '../src/shared/protocol.js';
import { signInAsAdmin } from './harness/consoleSignIn.js';
import { SessionStack } from './harness/sessionStack.js';

const WAIT = { timeout: 20_000 };

describe('the console shows `burrow tcp` for tcp services and sessions, not an Open that cannot work (real server, agent and Chromium)', () => {
  const sshLike = net.createServer((s) => s.on('error', () => undefined).end('SSH-2.0-stand-in\r\n'));
  let stack: SessionStack;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    sshLike.listen(0, '127.0.0.1');
    await once(sshLike, 'listening');
    const port = (sshLike.address() as net.AddressInfo).port;
    stack = await SessionStack.start({ services: { webui: `http://127.0.0.1:${port}`, ssh: `tcp://127.0.0.1:${port}` } });
    browser = await launchChromium();
    page = browser.page;
    // The CLI login of the stack spent the current step; the server also takes the next one.
    await signInAsAdmin(page, stack.url, stack.totpSecret, 30);
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
    sshLike.close();
  });

  it("shows the ProxyCommand for the node's ssh service and the burrow tcp command of an open tcp session", async () => {
    const node = (await stack.request<NodeView[]>('GET', '/v1/nodes')).body[0] as NodeView;
    assert.deepEqual(node.tcpServices, ['ssh']);
    await page.goto(`${stack.url}/#/nodes/${node.id}`);
    const service = page.locator('[data-tcp-command="ssh"]').first();
    await service.waitFor(WAIT);
    assert.match(await service.innerText(), /ssh -o ProxyCommand='burrow tcp n1 --service ssh --stdio' USER@n1/);
    assert.equal(await page.getByRole('button', { name: 'Open ssh' }).count(), 0, 'no browser Open for a tcp service');
    assert.equal(await page.getByRole('button', { name: 'Open WebUI' }).count(), 1, 'the WebUI keeps its Open');

    const s = (await stack.request<SessionView>('POST', '/v1/sessions', { node: node.id, service: 'ssh', type: 'tcp' })).body;
    const row = page.locator(`tr[data-session="${s.id}"]`);
    await row.waitFor(WAIT);
    assert.match(await row.locator('[data-tcp-command="ssh"]').innerText(), new RegExp(`burrow tcp n1 --service ssh --session ${s.id} --stdio`));
    assert.equal(await row.getByRole('link', { name: 'Open WebUI' }).count(), 0);
  });
});
