import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from './harness/chromium.js';
import { ConsoleStack } from './harness/consoleStack.js';
import { repoRoot } from './harness/paths.js';
import { ADMIN } from './harness/serverStack.js';
import { totpCode as totp } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';
import { APP_SCRIPTS } from './harness/webUi.js';

const SHOTS = join(repoRoot, 'e2e', 'screenshots');
const WAIT = { timeout: 20_000 };

describe('management console in Chromium', () => {
  let stack: ConsoleStack;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const scripts: string[] = [];
  let loads = 0;

  before(async () => {
    stack = await ConsoleStack.start();
    await mkdir(SHOTS, { recursive: true });
    browser = await launchChromium({ viewport: { width: 1280, height: 800 } });
    context = browser.context;
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('load', () => loads++);
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const notice = (text: string | RegExp) => page.locator('.notice', { hasText: text }).first().waitFor(WAIT);
  const go = async (hash: string, heading: string) => {
    await page.locator(`nav a[href="${hash}"]`).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor(WAIT);
  };

  it('serves the console with a strict Content-Security-Policy', async () => {
    const res = await page.goto(stack.url + '/');
    const csp = res?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  it('signs the admin in with password, then TOTP', async () => {
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await shot('login');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Authenticator code').fill(await totp(stack.totpSecret));
    await shot('login-totp');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
  });

  it('shows a real agent come online without a reload', async () => {
    const row = page.locator(`tr[data-node="${stack.nodeName}"]`);
    await row.locator('.badge-offline').waitFor(WAIT);
    await page.locator('.live-on').waitFor(WAIT);
    const loadsBefore = loads;
    await stack.startNode();
    await row.locator('.badge-online').waitFor(WAIT);
    assert.equal(loads, loadsBefore, 'the page must not reload');
    await shot('nodes');
    await row.getByRole('link', { name: stack.nodeName }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(stack.nodeName) }).waitFor(WAIT);
    await shot('node-detail');
  });

  it('opens the WebUI in a new tab, shows the session, extends and closes it', async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open WebUI' }).click()]);
    await tab.getByText(stack.webuiText).waitFor(WAIT);
    assert.ok(tab.url().startsWith('https://127.0.0.1:'), tab.url());
    await tab.screenshot({ path: join(SHOTS, 'webui-tab.png') });
    await tab.close();
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor(WAIT);
    const row = page.locator('table[aria-label="Sessions"] tbody tr').first();
    await row.locator('.countdown').waitFor(WAIT);
    assert.match((await row.locator('.countdown').textContent()) ?? '', /^\d+:\d\d/);
    await shot('sessions');
    await row.getByRole('button', { name: 'Extend' }).click();
    await notice(/extended until/);
    await row.getByRole('button', { name: 'Close' }).click();
    await notice(/closed\./);
    await page.getByText('No open or queued sessions.').first().waitFor(WAIT);
  });

  it('runs a WebUI page with parallel scripts, a 100 kB POST and a reload that revalidates (304)', async () => {
    await go('#/nodes', 'Nodes');
    await page.locator(`tr[data-node="${stack.nodeName}"]`).getByRole('link', { name: stack.nodeName }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(stack.nodeName) }).waitFor(WAIT);
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open WebUI' }).click()]);
    await tab.getByText(stack.webuiText).waitFor(WAIT);
    const statuses: number[] = [];
    tab.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/asset/')) statuses.push(r.status());
    });
    await tab.goto(new URL('/app', tab.url()).href);
    await tab.getByText(`scripts ${APP_SCRIPTS} posted 100000 bytes`).waitFor(WAIT);
    await tab.reload();
    await tab.getByText(`scripts ${APP_SCRIPTS} posted 100000 bytes`).waitFor(WAIT);
    assert.deepEqual([...new Set(statuses)].sort(), [200, 304], `asset answers: ${statuses.join(',')}`);
    await tab.close();
    await go('#/sessions', 'Sessions');
    await page.locator('table[aria-label="Sessions"] tbody tr').first().getByRole('button', { name: 'Close' }).click();
    await notice(/closed\./);
  });

  it("keeps one session's WebUI login cookie from the other session's tab, though Chromium shares cookies across ports", async () => {
    const openWebUi = async () => {
      await go('#/nodes', 'Nodes');
      await page.locator(`tr[data-node="${stack.nodeName}"]`).getByRole('link', { name: stack.nodeName }).click();
      await page.getByRole('heading', { level: 1, name: new RegExp(stack.nodeName) }).waitFor(WAIT);
      const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open WebUI' }).click()]);
      await tab.getByText(stack.webuiText).waitFor(WAIT);
      return tab;
    };
    const cookiesSeenBy = async (tab: Page) => {
      await tab.goto(new URL('/cookies', tab.url()).href);
      return (await tab.locator('body').textContent()) ?? '';
    };
    const a = await openWebUi();
    await a.goto(new URL('/login', a.url()).href);
    await a.getByText('signed in').waitFor(WAIT);
    const b = await openWebUi();
    assert.notEqual(new URL(a.url()).port, new URL(b.url()).port);
    assert.match(await cookiesSeenBy(a), /cookies: webui_sid=s3cr3t$/m, 'its own WebUI gets the login cookie back under its name');
    assert.match(await cookiesSeenBy(b), /cookies: \(none\)$/m, "the other session's WebUI never sees it");
    await a.close();
    await b.close();
    await go('#/sessions', 'Sessions');
    const rows = page.locator('table[aria-label="Sessions"] tbody tr');
    for (let open = 2; open > 0; open--) {
      await rows.first().getByRole('button', { name: 'Close' }).click();
      await notice(/closed\./);
      // The next click must find the other session, not this one before the list redraws.
      await waitFor(`${open - 1} open session(s) listed`, async () => (await rows.count()) < open, { timeoutMs: 20_000 });
    }
    await page.getByText('No open or queued sessions.').first().waitFor(WAIT);
  });

  it('creates an enrollment token shown once, then revokes it', async () => {
    await go('#/enroll-tokens', 'Enrollment tokens');
    await page.getByRole('button', { name: 'Create token' }).click();
    await notice(/Enrollment token .* created/);
    const secret = (await page.getByTestId('secret').textContent()) ?? '';
    assert.match(secret, /^bre_/);
    await shot('enroll-tokens');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is shown only once');
    const row = page.locator('table[aria-label="Enrollment tokens"] tr', { has: page.locator('.badge', { hasText: 'active' }) }).first();
    const id = (await row.locator('code').textContent()) ?? '';
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await notice(`Enrollment token ${id} revoked.`);
    await page.locator(`tr[data-token="${id}"] .badge`, { hasText: 'revoked' }).waitFor(WAIT);
  });

  it('creates an API token and a user', async () => {
    await go('#/tokens', 'API tokens');
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    await notice('API token "ci" created.');
    assert.match((await page.getByTestId('secret').textContent()) ?? '', /^bra_/);
    await shot('api-tokens');
    await go('#/users', 'Users');
    await page.getByLabel('Email').fill('operator@example.com');
    await page.getByLabel('Password (leave empty for a temporary one)').fill('another long passphrase 42');
    await page.getByRole('button', { name: 'Create user' }).click();
    await notice(/User operator@example.com created/);
    await page.locator('tr[data-user="operator@example.com"]').waitFor(WAIT);
    await shot('users');
  });

  it('finds those actions in the audit log', async () => {
    await go('#/audit', 'Audit log');
    for (const action of ['auth.login', 'node.connect', 'session.open', 'session.close', 'enroll-token.create', 'enroll-token.revoke', 'token.create', 'user.create']) {
      await page.locator(`tr[data-action="${action}"]`).first().waitFor(WAIT);
    }
    // Entries name the actor by email and the object by type (issue 19).
    const created = page.locator('tr[data-action="user.create"]').first();
    assert.match((await created.locator('td.actor').textContent()) ?? '', new RegExp(ADMIN.email.replace('.', '\\.')));
    assert.match((await created.locator('td.object').textContent()) ?? '', /^user operator@example\.com$/);
    await shot('audit');
    await page.getByLabel('Action').fill('enroll-token.revoke');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tr[data-action="session.open"]').first().waitFor({ state: 'detached', ...WAIT });
    assert.equal(await page.locator('tbody tr[data-action="enroll-token.revoke"]').count(), 1);
    const csv = await page.request.get(`${stack.url}${(await page.getByRole('link', { name: 'CSV' }).getAttribute('href')) ?? ''}`);
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /enroll-token\.revoke/);
  });

  it('enrolls TOTP for the new user with a QR code', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to burrow' }).waitFor(WAIT);
    await page.getByLabel('Email').fill('operator@example.com');
    await page.getByLabel('Password').fill('another long passphrase 42');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator' }).waitFor(WAIT);
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor(WAIT);
    assert.ok(((await qr.getAttribute('src')) ?? '').startsWith('data:image/svg+xml;base64,'));
    assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR image renders under the CSP');
    await shot('totp-enroll');
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    await page.getByLabel('Code from the app').fill(await totp(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('recovery-codes').waitFor(WAIT);
    await page.getByRole('button', { name: /I have stored them/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor(WAIT);
    await page.locator(`tr[data-node="${stack.nodeName}"] .badge-online`).waitFor(WAIT);
    assert.deepEqual(problems, [], 'no script errors or CSP violations in the page');
  });

  it('loads the terminal code (xterm.js) on none of these pages', () => {
    assert.ok(scripts.some((s) => /^\/assets\/main-\w+\.js$/.test(s)), `scripts: ${scripts.join(', ')}`);
    assert.deepEqual(scripts.filter((s) => s.includes('/chunk-')), []);
  });
});
