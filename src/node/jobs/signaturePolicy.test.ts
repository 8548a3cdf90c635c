import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { JobManifest } from '../../shared/jobManifest.js';
import type { JobWire } from '../../shared/protocol.js';
import { checkSignature, type SigningRules } from './signaturePolicy.js';

const keys = generateKeyPairSync('ed25519');
const pub = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const NOW = Date.parse('2026-12-03T05:00:00Z');
const sha256 = createHash('sha256').update('fw').digest('hex');
const install = 'sh "$BURROW_UPDATE_FILE"';
const manifest: JobManifest = { v: 1, nonce: 'ab'.repeat(16), kind: 'update', command: install, path: 'fw.bin', mode: null, sha256, target: { node: 'gw-1' }, nodes: ['node_1'], expiresAt: NOW + 60_000 };
const update: JobWire = { id: 'job_1', kind: 'update', command: install, path: 'fw.bin', size: 2, sha256, timeoutMs: 1000 };
const updates: SigningRules = { updateKey: pub, require: 'updates', nodeId: 'node_1' };
const all: SigningRules = { ...updates, require: 'all' };

/** A job header carrying `m` signed by `key`. */
function signed(header: JobWire, m: JobManifest, key = keys.privateKey): JobWire {
  const text = JSON.stringify(m);
  return { ...header, manifest: text, signature: sign(null, Buffer.from(text), key).toString('base64') };
}
const problem = (header: JobWire, rules: SigningRules, now = NOW) => {
  const v = checkSignature(header, rules, now);
  return 'problem' in v ? v.problem : undefined;
};

describe('checkSignature', () => {
  it('asks for nothing on a node without an update key', () => {
    assert.equal(problem(update, { ...updates, updateKey: undefined }), undefined);
  });

  it('runs an update whose manifest pins exactly what it is asked to do, signed by the key', () => {
    const v = checkSignature(signed(update, manifest), updates, NOW);
    assert.deepEqual(v, { manifest });
  });

  it('refuses an unsigned update, and under "all" an unsigned command or push, but not under "updates"', () => {
    const command: JobWire = { id: 'j', kind: 'command', command: 'id', size: 0, timeoutMs: 1000 };
    const push: JobWire = { id: 'j', kind: 'push', path: '/etc/x', mode: 0o644, size: 2, sha256, timeoutMs: 1000 };
    assert.match(problem(update, updates) ?? '', /only signed updates/);
    assert.equal(problem(command, updates), undefined);
    assert.equal(problem(push, updates), undefined);
    assert.match(problem(command, all) ?? '', /only signed jobs/);
    assert.match(problem(push, all) ?? '', /only signed jobs/);
  });

  it('refuses a signature replayed with another install command, file, hash or kind', () => {
    const good = signed(update, manifest);
    assert.match(problem({ ...good, command: 'id > /tmp/pwned' }, updates) ?? '', /install command is not the one that was signed/);
    assert.match(problem({ ...good, path: 'other.bin' }, updates) ?? '', /file name is not the one/);
    assert.match(problem({ ...good, sha256: 'f'.repeat(64) }, updates) ?? '', /SHA-256 is not the one/);
    assert.match(problem({ ...good, kind: 'command' }, updates) ?? '', /kind of job is not the one/);
    const push = signed({ id: 'j', kind: 'push', path: '/etc/x', mode: 0o644, size: 2, sha256, timeoutMs: 1000 }, { ...manifest, kind: 'push', command: null, path: '/etc/x', mode: 0o644 });
    assert.equal(problem(push, all), undefined);
    assert.match(problem({ ...push, mode: 0o777 }, all) ?? '', /file mode is not the one/);
    assert.match(problem({ ...push, path: '/etc/shadow' }, all) ?? '', /target path is not the one/);
  });

  it('refuses a manifest for other nodes, an expired one, a forged one and one by another key', () => {
    assert.match(problem(signed(update, { ...manifest, nodes: ['node_2'], target: { group: 'acme' } }), updates) ?? '', /for group acme, not for node node_1/);
    assert.match(problem(signed(update, manifest), updates, NOW + 60_001) ?? '', /expired at/);
    const good = signed(update, manifest);
    assert.match(problem({ ...good, manifest: JSON.stringify({ ...manifest, nodes: ['node_1', 'node_9'] }) }, updates) ?? '', /does not verify/);
    assert.match(problem(signed(update, manifest, generateKeyPairSync('ed25519').privateKey), updates) ?? '', /does not verify/);
    assert.match(problem({ ...good, signature: 'not base64!' }, updates) ?? '', /does not verify/);
  });

  it('checks a signature a command carries even where commands need none', () => {
    const command: JobWire = { id: 'j', kind: 'command', command: 'id', size: 0, timeoutMs: 1000 };
    const m = { ...manifest, kind: 'command' as const, command: 'uptime', path: null, sha256: null };
    assert.match(problem(signed(command, m), updates) ?? '', /command is not the one that was signed/);
  });
});
