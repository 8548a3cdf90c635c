import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { payloadProblem } from './verifyPayload.js';

const file = Buffer.from('#!/bin/sh\necho install\n');
const sha256 = createHash('sha256').update(file).digest('hex');
const base = { id: 'job_1', kind: 'update' as const, command: 'sh "$BURROW_UPDATE_FILE"', path: 'u.sh', size: file.length, timeoutMs: 1000 };

describe('payloadProblem', () => {
  it('accepts a file whose SHA-256 matches, and a command with no file', () => {
    assert.equal(payloadProblem({ ...base, sha256 }, file), undefined);
    assert.equal(payloadProblem({ id: 'j', kind: 'command', command: 'true', size: 0, timeoutMs: 1000 }, Buffer.alloc(0)), undefined);
  });

  it('refuses a tampered file and a file without a hash', () => {
    assert.match(payloadProblem({ ...base, sha256 }, Buffer.concat([file, Buffer.from('x')])) ?? '', /SHA-256/);
    assert.match(payloadProblem({ ...base }, file) ?? '', /no SHA-256/);
  });

  it('refuses a push that asks for a setuid or setgid file, and allows the other modes', () => {
    const push = { id: 'j', kind: 'push' as const, path: '/tmp/x', size: file.length, sha256, timeoutMs: 1000 };
    for (const mode of [0o4755, 0o2755, 0o6755, 0o4000]) assert.match(payloadProblem({ ...push, mode }, file) ?? '', /setuid or setgid/, mode.toString(8));
    for (const mode of [0o755, 0o644, 0o1777, 0o600]) assert.equal(payloadProblem({ ...push, mode }, file), undefined, mode.toString(8));
  });
});
