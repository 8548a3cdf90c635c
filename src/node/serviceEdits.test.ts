import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addService, allowTarget, applyServerChange, removeService } from './serviceEdits.js';

const base = { services: { webui: 'http://127.0.0.1:80' }, allowedTargets: ['http://127.0.0.1:80'] };

describe('service edits', () => {
  it('lets the server remove any service and re-point a name at an exposed or declared target', () => {
    const r = applyServerChange(allowTarget(base, 'tcp://127.0.0.1:22'), { set: { ssh: 'tcp://127.0.0.1:22', admin: '127.0.0.1:80' }, remove: ['webui'] });
    assert.ok(r.ok);
    assert.deepEqual(r.settings.services, { ssh: 'tcp://127.0.0.1:22', admin: '127.0.0.1:80' });
  });

  it('refuses, all or nothing, a target the operator did not allow', () => {
    for (const target of ['10.0.0.5:22', 'tcp://127.0.0.1:23', 'http://localhost:80', 'nonsense']) {
      const r = applyServerChange(base, { set: { ssh: target }, remove: ['webui'] });
      assert.equal(r.ok, false, target);
    }
  });

  it('declares what the operator adds and forgets what it removes', () => {
    const added = addService(base, 'ssh', 'tcp://127.0.0.1:22');
    assert.deepEqual(added.allowedTargets, ['http://127.0.0.1:80', 'tcp://127.0.0.1:22']);
    const removed = removeService(added, 'ssh');
    assert.deepEqual(removed, base);
    assert.equal(applyServerChange(removed, { set: { ssh: 'tcp://127.0.0.1:22' }, remove: [] }).ok, false, 'a removed target is no longer the server\'s to use');
  });
});
