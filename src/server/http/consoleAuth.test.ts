import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../shared/clock.js';
import { listAudit } from '../store/auditStore.js';
import { buildApiWorld, WORLD_PASSWORD, type ApiWorld } from '../testing/apiWorld.js';
import { createApp } from './app.js';

describe('console CSRF token', () => {
  let world: ApiWorld;
  let server: http.Server;
  let url: string;
  // Console cookies are Secure: this app trusts X-Forwarded-Proto so plain HTTP can carry them.
  const https = { 'x-forwarded-proto': 'https' };
  before(async () => {
    world = await buildApiWorld();
    const app = createApp(world.deps);
    app.proxy = true;
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await world.close();
  });

  it('is issued at sign-in; whoami hands back the same one and changes nothing', async () => {
    // aNewOperator has no authenticator yet, so the password alone completes this sign-in.
    const signIn = await fetch(`${url}/v1/auth/console/password`, {
      method: 'POST',
      headers: { ...https, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'aNewOperator@example.com', password: WORLD_PASSWORD }),
    });
    assert.equal(signIn.status, 200);
    const issued = ((await signIn.json()) as { csrfToken: string }).csrfToken;
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    // A no-cors GET from a node's page carries the cookie too: it must not disturb the console.
    for (let i = 0; i < 2; i++) {
      const who = await fetch(`${url}/v1/auth/whoami`, { headers: { ...https, cookie } });
      assert.equal(who.status, 200);
      assert.equal(((await who.json()) as { csrfToken?: string }).csrfToken, issued, 'a reloaded console gets the token of its sign-in');
    }
    const post = (csrf: string) => fetch(`${url}/v1/auth/totp/setup`, { method: 'POST', headers: { ...https, cookie, 'x-csrf-token': csrf } });
    const forged = await post(`${issued.slice(0, -2)}xx`);
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'CSRF_INVALID');
    assert.equal((await post(issued)).status, 200, 'the console\'s next POST after a GET still works');
  });

  it('rides in a __Host- cookie (Secure, Path=/, no Domain) that logout clears the same way', async () => {
    const signIn = await fetch(`${url}/v1/auth/console/password`, {
      method: 'POST',
      headers: { ...https, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'aNewOperator@example.com', password: WORLD_PASSWORD }),
    });
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const set = signIn.headers.get('set-cookie') ?? '';
    // A browser keeps a __Host- cookie only from the host itself: no session host, no sibling can set or shadow it.
    assert.match(set, /^__Host-burrow_session=[^;]+; path=\/; /);
    assert.match(set, /; secure/i);
    assert.doesNotMatch(set, /domain=/i);
    const cookie = set.split(';')[0] as string;
    // A plain `burrow_session` (what a node's page could plant) is not the console's cookie.
    const planted = await fetch(`${url}/v1/auth/whoami`, { headers: { ...https, cookie: `burrow_session=${cookie.slice(cookie.indexOf('=') + 1)}` } });
    assert.equal(planted.status, 401);
    const out = await fetch(`${url}/v1/auth/logout`, { method: 'POST', headers: { ...https, cookie, 'x-csrf-token': csrfToken } });
    assert.equal(out.status, 204);
    // Without Secure and Path=/ the browser would ignore the clearing Set-Cookie and keep the dead cookie.
    const cleared = out.headers.get('set-cookie') ?? '';
    assert.match(cleared, /^__Host-burrow_session=; path=\/; expires=Thu, 01 Jan 1970 /);
    assert.match(cleared, /; secure/i);
    assert.doesNotMatch(cleared, /domain=/i);
  });

  it('is not part of whoami for API tokens', async () => {
    const who = await fetch(`${world.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${world.tokens.aViewer}` } });
    assert.equal(((await who.json()) as { csrfToken?: string }).csrfToken, undefined);
  });
});

describe('console sign-in audit', () => {
  it('is stamped with the injected clock, not the wall clock', async () => {
    const clock = new FakeClock(Date.UTC(2031, 0, 2));
    const world = await buildApiWorld({ clock });
    const app = createApp(world.deps);
    app.proxy = true;
    const server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const signIn = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/auth/console/password`, {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'aNewOperator@example.com', password: WORLD_PASSWORD }),
      });
      assert.equal(signIn.status, 200);
      const logins = (await listAudit(world.deps.db)).filter((e) => e.action === 'auth.login');
      assert.deepEqual(logins.map((e) => e.at), [clock.now()]);
    } finally {
      server.closeAllConnections();
      server.close();
      await world.close();
    }
  });
});
