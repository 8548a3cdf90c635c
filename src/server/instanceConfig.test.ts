import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instanceConfig } from './instanceConfig.js';

const base = { listen: '10.0.0.21:8443', sessionPorts: [40000, 40100] as [number, number] };

describe('instanceConfig', () => {
  it('binds session ports on the listen host unless told another address', () => {
    assert.equal(instanceConfig(base).sessionHost, '10.0.0.21');
    assert.equal(instanceConfig({ ...base, listen: '[::1]:8443' }).sessionHost, '::1');
    assert.equal(instanceConfig({ ...base, listen: '0.0.0.0:8443', sessionHost: '10.0.0.22' }).sessionHost, '10.0.0.22');
  });

  it("keeps an instance's peer link options, and names a bad option in one sentence", () => {
    const c = instanceConfig({ ...base, peerListen: '10.0.0.21:8444', peerUrl: 'https://10.0.0.21:8444' });
    assert.deepEqual([c.peerListen, c.peerUrl], ['10.0.0.21:8444', 'https://10.0.0.21:8444']);
    assert.equal(instanceConfig(base).peerListen, undefined);
    assert.throws(() => instanceConfig({ ...base, peerListen: 'nowhere' }), /^BurrowError: --peer-listen: /);
    assert.throws(() => instanceConfig({ ...base, peerUrl: 'http://10.0.0.21:8444' }), /^BurrowError: --peer-url: expected https:\/\/HOST:PORT/);
    assert.throws(() => instanceConfig({ ...base, sessionHost: '10.0.0.1/24' }), /--session-host: "10\.0\.0\.1\/24" is not an address/);
    assert.throws(() => instanceConfig({ ...base, database: 'mysql://db/burrow' }), /^BurrowError: --database: expected a PostgreSQL URL/);
  });
});
