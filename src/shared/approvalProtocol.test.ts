import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusLineSchema, statusReplySchema } from './protocol.js';

describe('approval protocol', () => {
  it("keeps a hostile peer's terminal escapes out of what a person reads", () => {
    // From a hostile node: a reason that would clear the requester's terminal and rewrite its title.
    const line = statusLineSchema.parse({ approvalDecision: { id: 'apr_abcdefgh', outcome: 'denied', by: 'eve\u001b[2J', reason: 'no\u001b]0;pwned\u0007\r\u009b1A' } });
    assert.ok('approvalDecision' in line);
    assert.equal(line.approvalDecision.by, 'eve\\u001b[2J');
    assert.equal(line.approvalDecision.reason, 'no\\u001b]0;pwned\\u0007\\u000d\\u009b1A');
    // From a hostile server: a request whose text would overwrite the line the person on site reads.
    const reply = statusReplySchema.parse({ holdsWork: false, proposedMode: null, approvalRequest: {
      id: 'apr_abcdefgh', kind: 'shell', service: 'shell', subject: 'trm_1', user: 'ops@example.com\u001b[1K', from: '192.0.2.7',
      what: 'a root shell\r\u001b[2Ka WebUI session\u202e', validUntil: '2026-01-01T00:00:00Z',
    } });
    assert.equal(reply.approvalRequest?.user, 'ops@example.com\\u001b[1K');
    assert.equal(reply.approvalRequest?.what, 'a root shell\\u000d\\u001b[2Ka WebUI session\\u202e');
  });
});
