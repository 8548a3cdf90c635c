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

describe('WebUI Set-Cookie by the cookie grammar', () => {
  const mine = 'burrow_w_ses_1.';

  it('refuses a nameless cookie whose value the browser would send as one of burrow\'s', () => {
    assert.equal(cookieForBrowser('=burrow_session=evil; Path=/', mine), undefined);
    assert.equal(cookieForBrowser(' =burrow_s_ses_2=evil', mine), undefined);
    assert.equal(cookieForBrowser('burrow_session', mine), undefined);
    // A harmless nameless cookie is stored as the browser reads it: its value is its name.
    assert.equal(cookieForBrowser('=sid=a; HttpOnly', mine), 'burrow_w_ses_1.sid=a; HttpOnly');
  });

  it('keeps a WebUI\'s __Host- and __Secure- prefixes in front of the renamed cookie', () => {
    assert.equal(cookieForBrowser('__Host-sid=a; Secure; Path=/; HttpOnly', mine), '__Host-burrow_w_ses_1.sid=a; Secure; Path=/; HttpOnly');
    assert.equal(cookieForBrowser('__Secure-t=b; Secure; HttpOnly; Domain=x', mine), '__Secure-burrow_w_ses_1.t=b; Secure; HttpOnly');
    assert.equal(cookiesForNode('__Host-burrow_w_ses_1.sid=a; __Host-burrow_w_ses_2.sid=b; __Secure-burrow_w_ses_1.t=c', mine), '__Host-sid=a; __Secure-t=c');
    // burrow's own prefixed cookies stay burrow's, whichever way they are spelt.
    assert.equal(cookieForBrowser('__Host-burrow_session=evil; Secure; Path=/', mine), undefined);
    assert.equal(cookieForBrowser('__host-burrow_session=evil; Secure; Path=/', mine), undefined);
    assert.equal(cookiesForNode('__Host-burrow_session=x; lang=en', mine), 'lang=en');
  });
});

describe('WebUI cookies on a host of their own (session domain)', () => {
  it('keeps the WebUI\'s cookies under their own names, prefixes included, without Domain', () => {
    assert.equal(cookieForBrowser('__Host-sid=a; Secure; Path=/; HttpOnly', undefined), '__Host-sid=a; Secure; Path=/; HttpOnly');
    assert.equal(cookieForBrowser('__Secure-t=b; Secure; HttpOnly; Domain=192.168.1.1', undefined), '__Secure-t=b; Secure; HttpOnly');
    assert.equal(cookieForBrowser('lang=en; Domain=sessions.example.com; Path=/', undefined), 'lang=en; Path=/');
    assert.equal(cookiesForNode('__Host-sid=a; lang=en', undefined), '__Host-sid=a; lang=en');
  });

  it('still keeps burrow\'s own cookies from the WebUI, both ways', () => {
    assert.equal(cookieForBrowser('burrow_s_ses_1=evil; Path=/', undefined), undefined);
    assert.equal(cookieForBrowser('=burrow_s_ses_1=evil', undefined), undefined);
    assert.equal(cookiesForNode('burrow_s_ses_1=x; __Host-sid=a', undefined), '__Host-sid=a');
    assert.equal(cookiesForNode('burrow_s_ses_1=x', undefined), undefined);
  });
});
