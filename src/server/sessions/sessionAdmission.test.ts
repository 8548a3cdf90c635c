import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionAdmission, takeToken } from './sessionAdmission.js';

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

  it('tells a second use of the link apart from a stranger, so the page can say how to get a new link', () => {
    const a = new SessionAdmission('ses_1', ip, 'tok');
    assert.equal(a.check({ ip, url: '/?burrow_token=nope', cookie: undefined }).kind, 'deny');
    assert.equal(a.check({ ip, url: '/', cookie: undefined }).kind, 'deny');
    const stranger = a.check({ ip, url: '/?burrow_token=nope', cookie: undefined });
    assert.equal(stranger.kind === 'deny' && stranger.linkUsed, undefined);
    assert.equal(a.check({ ip, url: '/?burrow_token=tok', cookie: undefined }).kind, 'exchange');
    assert.deepEqual(a.check({ ip, url: '/?burrow_token=tok', cookie: undefined }), { kind: 'deny', reason: 'token already used', linkUsed: true });
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
  it('splits the token off the request target', () => {
    assert.deepEqual(takeToken('/p?burrow_token=t'), { token: 't', rest: '/p' });
    assert.deepEqual(takeToken('/p?x=1'), { token: undefined, rest: '/p?x=1' });
    assert.deepEqual(takeToken('/p'), { token: undefined, rest: '/p' });
  });
});
