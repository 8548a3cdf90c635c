import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { BurrowError } from '../../shared/errors.js';
import { FILES_SERVICE } from '../../shared/fileProtocol.js';
import { pullFromNode } from './pullFromNode.js';

/** A connected node whose `files` channel answers with `answer` (the node's side, as a hostile node may write it). */
function nodeAnswering(answer: string) {
  const channel = new Duplex({
    read() {},
    write(_chunk: Buffer, _enc, cb) {
      cb();
    },
  });
  channel.push(answer);
  channel.push(null);
  return { services: new Set([FILES_SERVICE]), openService: () => Promise.resolve(channel) };
}

const origin = { ip: '127.0.0.1', port: 0 };

describe('pullFromNode', () => {
  it('hands on a file of the announced size', async () => {
    const p = await pullFromNode(nodeAnswering(`${JSON.stringify({ ok: true, size: 3, name: 'a.log' })}\nabc`), 'n1', { op: 'get', path: '/var/log/a.log' }, origin);
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'abc');
    assert.deepEqual(await p.done, { ok: true, bytes: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  });

  // Only a bundle is made as it streams; a file without a size would pass unbounded, with no length to check.
  it('refuses a file answer that announces no size', async () => {
    await assert.rejects(
      pullFromNode(nodeAnswering(`${JSON.stringify({ ok: true, size: null, name: 'a.log' })}\n${'x'.repeat(100)}`), 'n1', { op: 'get', path: '/var/log/a.log' }, origin),
      (err: unknown) => err instanceof BurrowError && err.code === 'SERVICE_UNAVAILABLE_ON_NODE' && /garbage/.test(err.message),
    );
  });

  // A file larger than any agent allows (files.maxBytes) is a hostile node's, not a file.
  it('refuses a file answer that announces more than an agent may send', async () => {
    await assert.rejects(
      pullFromNode(nodeAnswering(`${JSON.stringify({ ok: true, size: 2 ** 50, name: 'a.log' })}\nabc`), 'n1', { op: 'get', path: '/var/log/a.log' }, origin),
      (err: unknown) => err instanceof BurrowError && err.code === 'SERVICE_UNAVAILABLE_ON_NODE' && /garbage/.test(err.message),
    );
  });

  // A bundle has no announced size: without a bound, a node could stream to the caller's disk forever.
  it('cuts a bundle that grows past what an agent\'s bundle can take', async () => {
    const p = await pullFromNode(nodeAnswering(`${JSON.stringify({ ok: true, size: null, name: 'n1-bundle.tar.gz' })}\n${'x'.repeat(101)}`), 'n1', { op: 'bundle' }, origin, 100);
    await assert.rejects(async () => {
      for await (const c of p.body) assert.ok((c as Buffer).length <= 100);
    }, /bundle/);
    const done = await p.done;
    assert.equal(done.ok, false);
    assert.match(done.ok ? '' : done.error, /more than the 100 bytes/);
  });
});
