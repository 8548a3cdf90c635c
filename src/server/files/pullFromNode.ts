import { createHash } from 'node:crypto';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { BurrowError } from '../../shared/errors.js';
import { BUNDLE_MAX_BYTES, FILE_LINE_MAX, FILES_SERVICE, fileAnswerSchema, type FileRequest } from '../../shared/fileProtocol.js';
import type { NodeHandle } from '../cluster/nodeDirectory.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';

/**
 * A pull the node agreed to: its announced size, and the bytes as they arrive. The name the
 * node announced is not kept: the caller names the download after the path it asked for.
 */
export interface NodePull {
  /** The announced size; null for a bundle (made as it streams). */
  size: number | null;
  body: Readable;
  /** Resolves when the body ended, with what passed (hash, size), or why it broke off. */
  done: Promise<{ ok: true; bytes: number; sha256: string } | { ok: false; bytes: number; error: string }>;
}

/** Reads the node's answer line; the bytes after it are the file and stay in the channel. */
function readAnswer(channel: Duplex, nodeName: string, op: FileRequest['op']): Promise<{ size: number | null }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, a?: { size: number | null }) => {
      channel.off('data', onData);
      channel.off('end', onEnd);
      channel.off('error', onEnd);
      if (err) {
        channel.destroy();
        reject(err);
      } else resolve(a as { size: number | null });
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > FILE_LINE_MAX) done(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${nodeName} answered the pull with garbage.`));
        return;
      }
      channel.pause();
      const rest = buf.subarray(nl + 1);
      if (rest.length) channel.unshift(rest);
      let parsed;
      try {
        parsed = fileAnswerSchema.safeParse(JSON.parse(buf.subarray(0, nl).toString('utf8')));
      } catch {
        return done(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${nodeName} answered the pull with garbage.`));
      }
      // Only a bundle is made as it streams: a file announced without a size would pass unbounded and unchecked.
      if (!parsed.success || (parsed.data.ok && parsed.data.size === null && op === 'get')) return done(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${nodeName} answered the pull with garbage.`));
      if (!parsed.data.ok) return done(new BurrowError('FILE_REFUSED', `Node ${nodeName} refused: ${parsed.data.message}`));
      done(null, { size: parsed.data.size });
    };
    const onEnd = () => done(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${nodeName} closed the file channel without answering.`));
    channel.on('data', onData);
    channel.once('end', onEnd);
    channel.once('error', onEnd);
  });
}

/**
 * Asks a connected node for a file or a support bundle over a fresh `files` channel and
 * hands back the bytes as a stream (backpressure reaches the node), hashing them on the way
 * so the audit records exactly what left the node. A bundle is cut past `maxBundleBytes`
 * (what an agent's bundle can take), as a file is past its announced size.
 */
export async function pullFromNode(conn: Pick<NodeHandle, 'openService' | 'services'>, nodeName: string, request: FileRequest, origin: ForwardOrigin, maxBundleBytes = BUNDLE_MAX_BYTES): Promise<NodePull> {
  if (!conn.services.has(FILES_SERVICE)) {
    throw new BurrowError('FILES_OFF', `File pull is off on node ${nodeName}; its operator can allow a directory with "burrow node files allow DIR" and restart the agent.`);
  }
  const channel = await conn.openService(FILES_SERVICE, origin);
  channel.write(`${JSON.stringify(request)}\n`);
  const answer = await readAnswer(channel, nodeName, request.op);
  const hash = createHash('sha256');
  let bytes = 0;
  const body = new PassThrough();
  const done = new Promise<Awaited<NodePull['done']>>((resolve) => {
    const fail = (error: string) => {
      body.destroy(new Error(error));
      resolve({ ok: false, bytes, error });
    };
    channel.on('data', (d: Buffer) => {
      bytes += d.length;
      hash.update(d);
      if (answer.size !== null && bytes > answer.size) return fail('the node sent more bytes than it announced');
      if (answer.size === null && bytes > maxBundleBytes) return fail(`the node sent more than the ${maxBundleBytes} bytes an agent's support bundle can take`);
      if (!body.write(d)) channel.pause();
    });
    body.on('drain', () => channel.resume());
    channel.once('end', () => {
      if (answer.size !== null && bytes !== answer.size) return fail(`the node sent ${bytes} of the ${answer.size} bytes it announced (the file changed while it was read?)`);
      body.end();
      resolve({ ok: true, bytes, sha256: hash.digest('hex') });
    });
    channel.once('error', (err: Error) => fail(err.message));
    // The receiver went away (the browser or CLI stopped): stop the node's side too.
    body.once('close', () => {
      if (!body.writableFinished) {
        channel.destroy();
        resolve({ ok: false, bytes, error: 'the download was abandoned' });
      }
    });
    channel.resume();
  });
  return { ...answer, body, done };
}
