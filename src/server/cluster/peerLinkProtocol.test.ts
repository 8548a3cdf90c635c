import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVAL_HEADER, ORIGIN_IP_HEADER, ORIGIN_PORT_HEADER, parseOrigin } from './peerLinkProtocol.js';

describe('parseOrigin', () => {
  const base = { [ORIGIN_IP_HEADER]: '192.0.2.7', [ORIGIN_PORT_HEADER]: '5000' };

  it('carries the approval on site a relayed channel opens under', () => {
    assert.deepEqual(parseOrigin(base), { ip: '192.0.2.7', port: 5000 });
    assert.deepEqual(parseOrigin({ ...base, [APPROVAL_HEADER]: 'apr_abcdefgh12' }), { ip: '192.0.2.7', port: 5000, approval: 'apr_abcdefgh12' });
  });

  it('refuses an approval header that is no approval id', () => {
    assert.equal(parseOrigin({ ...base, [APPROVAL_HEADER]: 'apr_x@10.0.0.1' }), undefined);
    assert.equal(parseOrigin({ ...base, [APPROVAL_HEADER]: '' }), undefined);
  });
});
