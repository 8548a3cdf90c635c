import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { payloadProblem } from './verifyPayload.js';

const file = Buffer.from('#!/bin/sh\necho install\n');
const sha256 = createHash('sha256').update(file).digest('hex');
const keys = generateKeyPairSync('ed25519');
const pub = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const base = { id: 'job_1', kind: 'update' as const, command: 'sh "$BURROW_UPDATE_FILE"', path: 'u.sh', size: file.length, timeoutMs: 1000 };

describe('payloadProblem', () => {
  it('accepts a file whose SHA-256 matches, and a command with no file', () => {
    assert.equal(payloadProblem({ ...base, sha256 }, file, undefined), undefined);
    assert.equal(payloadProblem({ id: 'j', kind: 'command', command: 'true', size: 0, timeoutMs: 1000 }, Buffer.alloc(0), undefined), undefined);
  });

  it('refuses a tampered file and a file without a hash', () => {
    assert.match(payloadProblem({ ...base, sha256 }, Buffer.concat([file, Buffer.from('x')]), undefined) ?? '', /SHA-256/);
    assert.match(payloadProblem({ ...base }, file, undefined) ?? '', /no SHA-256/);
  });

  it('with an update key, wants a valid signature by that key', () => {
    assert.match(payloadProblem({ ...base, sha256 }, file, pub) ?? '', /only signed updates/);
    const good = sign(null, file, keys.privateKey).toString('base64');
    assert.equal(payloadProblem({ ...base, sha256, signature: good }, file, pub), undefined);
    const other = sign(null, file, generateKeyPairSync('ed25519').privateKey).toString('base64');
    assert.match(payloadProblem({ ...base, sha256, signature: other }, file, pub) ?? '', /does not verify/);
  });
});
