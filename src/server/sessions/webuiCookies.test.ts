import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cookieForBrowser, cookiesForNode, webuiCookiePrefix } from './webuiCookies.js';

describe('WebUI cookies on a shared host', () => {
  it('names a session\'s prefix after the session', () => {
    assert.equal(webuiCookiePrefix('ses_1'), 'burrow_w_ses_1.');
  });

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
});
