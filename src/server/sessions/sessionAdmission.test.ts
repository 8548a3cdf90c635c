import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionAdmission, cookieForBrowser, cookiesForNode, takeToken } from './sessionAdmission.js';

describe('SessionAdmission', () => {
  const ip = '127.0.0.1';

  it('exchanges the token once for a session-named cookie, then admits by cookie only', () => {
    const a = new SessionAdmission('ses_1', ip, 'tok');
    const first = a.check({ ip, url: '/x?a=1&burrow_token=tok', cookie: undefined });
    assert.equal(first.kind, 'exchange');
    if (first.kind !== 'exchange') return;
    assert.equal(first.location, '/x?a=1');
    assert.match(first.setCookie, /^burrow_s_ses_1=[\w-]{43}; HttpOnly; Secure; SameSite=Strict; Path=\/$/);
    const cookie = first.setCookie.split(';')[0] as string;
    assert.deepEqual(a.check({ ip, url: '/', cookie: `other=1; ${cookie}` }), { kind: 'pass' });
    assert.equal(a.check({ ip, url: '/?burrow_token=tok', cookie: undefined }).kind, 'deny', 'the token is spent');
  });

  it('refuses another address, a wrong token, and a forged cookie', () => {
    const a = new SessionAdmission('ses_1', ip, 'tok');
    assert.deepEqual(a.check({ ip: '127.0.0.2', url: '/?burrow_token=tok', cookie: undefined }), { kind: 'deny', reason: 'source address not allowed' });
    assert.equal(a.check({ ip, url: '/?burrow_token=nope', cookie: undefined }).kind, 'deny');
    assert.equal(a.check({ ip, url: '/', cookie: 'burrow_s_ses_1=forged' }).kind, 'deny');
    assert.equal(a.check({ ip, url: '/?burrow_token=tok', cookie: undefined }).kind, 'exchange', 'refusals did not spend the token');
  });
});

describe('cookie and token helpers', () => {
  it('gives the node its own cookies only: none of burrow\'s, none of another session\'s WebUI', () => {
    const mine = 'burrow_w_ses_1.';
    assert.equal(cookiesForNode('a=1; burrow_s_x=2; b=3; burrow_s_y=4', mine), 'a=1; b=3');
    assert.equal(cookiesForNode('burrow_s_x=2', mine), undefined);
    assert.equal(cookiesForNode(undefined, mine), undefined);
    // Its own WebUI cookies come back under their names; another session's never reach this node.
    assert.equal(cookiesForNode('burrow_w_ses_1.sid=a; burrow_w_ses_2.sid=b; lang=en', mine), 'sid=a; lang=en');
    // The console's sign-in cookie is the admin's whole access: the browser sends it to every port of the host.
    assert.equal(cookiesForNode('burrow_session=brs_x; lang=en', mine), 'lang=en');
  });

  it('stores HttpOnly WebUI cookies under the session prefix, leaves script-readable ones, drops Domain', () => {
    const mine = 'burrow_w_ses_1.';
    assert.equal(cookieForBrowser('sid=a; Path=/; HttpOnly; Domain=192.168.1.1', mine), 'burrow_w_ses_1.sid=a; Path=/; HttpOnly');
    assert.equal(cookieForBrowser('lang=en; domain=x; Path=/', mine), 'lang=en; Path=/');
    // A node may not overwrite the console's sign-in or any session's cookie.
    assert.equal(cookieForBrowser('burrow_session=evil; Path=/', mine), undefined);
    assert.equal(cookieForBrowser('burrow_s_ses_2=evil; HttpOnly', mine), undefined);
  });

  it('splits the token off the request target', () => {
    assert.deepEqual(takeToken('/p?burrow_token=t'), { token: 't', rest: '/p' });
    assert.deepEqual(takeToken('/p?x=1'), { token: undefined, rest: '/p?x=1' });
    assert.deepEqual(takeToken('/p'), { token: undefined, rest: '/p' });
  });
});
