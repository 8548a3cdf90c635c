import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseServiceTarget, parseServiceTargetsHeader } from './serviceTarget.js';

describe('service targets', () => {
  it('reads host:port as http and http(s)://host:port with its scheme', () => {
    assert.deepEqual(parseServiceTarget('127.0.0.1:80'), { scheme: 'http', host: '127.0.0.1', port: 80 });
    assert.deepEqual(parseServiceTarget('https://appliance.local:8443'), { scheme: 'https', host: 'appliance.local', port: 8443, type: 'http' });
    assert.deepEqual(parseServiceTarget('http://[::1]:8080/'), { scheme: 'http', host: '::1', port: 8080, type: 'http' });
  });

  it('reads tcp://host:port as a service that declares tcp sessions', () => {
    assert.deepEqual(parseServiceTarget('tcp://127.0.0.1:22'), { scheme: 'http', host: '127.0.0.1', port: 22, type: 'tcp' });
    assert.equal(parseServiceTargetsHeader(JSON.stringify({ ssh: 'tcp://127.0.0.1:22' })).get('ssh')?.type, 'tcp');
    for (const bad of ['127.0.0.1', 'ftp://h:21', 'h:0', 'h:70000', 'https://h']) assert.equal(parseServiceTarget(bad), undefined, bad);
  });

  it('keeps only well-formed entries of the agent header', () => {
    const m = parseServiceTargetsHeader(JSON.stringify({ webui: 'https://127.0.0.1:8443', 'Bad Name': '1.2.3.4:1', ssh: 42 }));
    assert.deepEqual([...m.keys()], ['webui']);
    assert.equal(parseServiceTargetsHeader('{not json').size, 0);
    assert.equal(parseServiceTargetsHeader(undefined).size, 0);
  });
});
