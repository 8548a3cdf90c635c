import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { entryHash, GENESIS, type ChainEntry } from './auditChain.js';
import { signCheckpoint } from './auditCheckpoint.js';
import { exportText, verifyExport } from './auditExport.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;

function chain(count: number): ChainEntry[] {
  const out: ChainEntry[] = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= count; seq++) {
    const e = { seq, at: 1_700_000_000_000 + seq, actor: 'usr_a', actorEmail: 'a@example.com', sourceIp: '10.0.0.1', action: 'node.approve', objectType: 'node', target: `nd_${seq}`, result: 'ok', detail: JSON.stringify({ n: seq, nested: { a: [1, 'x'] } }), groupId: 'root' };
    const hash = entryHash(prev, e, true);
    out.push({ ...e, prevHash: prev, hash, mac: 'ab'.repeat(32) });
    prev = hash;
  }
  return out;
}

const text = (entries: ChainEntry[], filtered = false) => {
  const last = entries.at(-1) as ChainEntry;
  const cp = signCheckpoint(privateKey, { seq: last.seq, head: last.hash, at: 1_700_000_100_000, macFrom: 1 });
  return exportText({ exportedAt: '2026-01-01T00:00:00.000Z', publicKey: pem, filtered }, entries, [cp]);
};

describe('audit export', () => {
  it('verifies offline: entries re-hash exactly from their exported form', () => {
    const { verdict, keyFingerprint } = verifyExport(text(chain(5)));
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.equal(verdict.macsChecked, false);
    assert.equal(verdict.lastCheckpoint?.seq, 5);
    assert.match(keyFingerprint, /^SHA256:/);
  });

  it('refuses a filtered export, a CSV file, and a key other than the trusted one', () => {
    assert.throws(() => verifyExport(text(chain(3), true)), /filtered/);
    assert.throws(() => verifyExport('"seq","at"\n"1","x"\n'), /not a burrow audit export|not JSON/);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.throws(() => verifyExport(text(chain(3)), other), /another signing key/);
    assert.ok(verifyExport(text(chain(3)), pem).verdict.ok);
  });

  it('names an entry line removed from the middle', () => {
    const lines = text(chain(5)).split('\n');
    lines.splice(3, 1);
    const { verdict } = verifyExport(lines.join('\n'));
    assert.ok(!verdict.ok);
    assert.equal(verdict.finding, 'missing');
    assert.equal(verdict.badSeq, 3);
  });
});
