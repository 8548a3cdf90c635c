import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionRecord } from '../store/sessionStore.js';
import { sessionDomainWarnings, sessionHostName, sessionLabel, sessionView } from './sessionView.js';

const record = (id: string, type: 'http' | 'tcp'): SessionRecord => ({
  id, nodeId: 'nod_1', userId: 'usr_1', service: 'webui', type, port: 41234, sourceIp: '127.0.0.1',
  openedAt: 0, expiresAt: 1, closedAt: null, closeReason: null, bytesUp: 0, bytesDown: 0,
});

describe('session host names', () => {
  it('gives each session a DNS label of its own, derived from its id', () => {
    const a = sessionLabel('ses_AbC');
    assert.match(a, /^s[0-9a-f]{24}$/);
    assert.equal(sessionLabel('ses_AbC'), a, 'the same session, the same name');
    // Ids differ in case only where DNS does not: their labels still differ.
    assert.notEqual(sessionLabel('ses_abc'), a);
  });

  it('names http sessions under the session domain, and on the console\'s host without one', () => {
    const naming = { publicHost: 'burrow.example.com', sessionDomain: 'sessions.example.com' };
    assert.equal(sessionHostName(naming, 'ses_1'), `${sessionLabel('ses_1')}.sessions.example.com`);
    assert.equal(sessionView(record('ses_1', 'http'), naming).url, `https://${sessionLabel('ses_1')}.sessions.example.com:41234/`);
    // TCP clients name no host to the port: a proving port (TLS, `burrow tcp`) and a bare one stay on the console's name.
    assert.equal(sessionView(record('ses_1', 'tcp'), naming).url, 'tcp+tls://burrow.example.com:41234');
    assert.equal(sessionView({ ...record('ses_1', 'tcp'), bare: true }, naming).url, 'tcp://burrow.example.com:41234');
    assert.equal(sessionView(record('ses_1', 'http'), { publicHost: 'burrow.example.com' }).url, 'https://burrow.example.com:41234/');
  });
});

describe('what a session domain leaves open', () => {
  it('warns without a session domain, and when the console sits at, in or right above the session domain', () => {
    assert.deepEqual(sessionDomainWarnings({ publicHost: 'burrow.example.com', sessionDomain: 'sessions.example.net' }), []);
    assert.match(sessionDomainWarnings({ publicHost: 'burrow.example.com' })[0] ?? '', /share one cookie jar/);
    for (const [publicHost, sessionDomain] of [
      ['sessions.example.com', 'sessions.example.com'],
      ['console.sessions.example.com', 'sessions.example.com'],
      ['example.com', 'sessions.example.com'],
    ] as const) {
      const w = sessionDomainWarnings({ publicHost, sessionDomain });
      assert.equal(w.length, 1, `${publicHost} with ${sessionDomain}`);
      assert.match(w[0] ?? '', new RegExp(`${sessionDomain.replace(/\./g, '\\.')}.*cookies the console receives`));
    }
  });
});
