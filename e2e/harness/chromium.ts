import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless, kept off the network this machine cannot reach: without the
 * background-networking flags it keeps dialling Google's hosts and is refused.
 */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A Chromium on a fresh profile of its own; close() ends it and removes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  /** The window it opened with. */
  page: Page;
  close(): Promise<void>;
}

/** Starts Chromium for one test file (it trusts the servers' self-signed certificates). */
export async function launchChromium(o: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'burrow-chromium-'));
  const removeProfile = () => rm(profile, { recursive: true, force: true });
  try {
    // A persistent context is how playwright takes a fresh --user-data-dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, args: ARGS, ignoreHTTPSErrors: true, ...(o.viewport ? { viewport: o.viewport } : {}),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      context,
      page,
      close: async () => {
        await context.close();
        await removeProfile();
      },
    };
  } catch (err) {
    await removeProfile();
    throw err;
  }
}
