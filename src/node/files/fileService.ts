import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NodeConfig } from '../../shared/config.js';
import { FILE_LINE_MAX, fileRequestSchema, type FileAnswer, type FileRequest } from '../../shared/fileProtocol.js';
import type { Logger } from '../../shared/log.js';
import type { NodeStatusReport } from '../../shared/protocol.js';
import { FileRefusal, openAllowedFile } from './allowedFile.js';
import { supportBundle } from './supportBundle.js';

/** What the files service needs from the agent. */
export interface FileServiceDeps {
  /** node.json as it is now: allowances are read at each request, so a revocation is immediate. */
  config: () => Promise<NodeConfig>;
  status: (config: NodeConfig) => Promise<NodeStatusReport>;
  log: Logger;
}

/** Reads the request line; bytes after it are not expected (the server sends nothing more). */
function readRequest(channel: Duplex): Promise<FileRequest> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, r?: FileRequest) => {
      channel.off('data', onData);
      channel.off('end', onEnd);
      if (err) reject(err);
      else resolve(r as FileRequest);
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > FILE_LINE_MAX) done(new FileRefusal('The request line is too long.'));
        return;
      }
      try {
        const parsed = fileRequestSchema.safeParse(JSON.parse(buf.subarray(0, nl).toString('utf8')));
        if (parsed.success) done(null, parsed.data);
        else done(new FileRefusal(`The request is invalid: ${parsed.error.issues[0]?.message ?? ''}.`));
      } catch {
        done(new FileRefusal('The request is not JSON.'));
      }
    };
    const onEnd = () => done(new FileRefusal('The server closed the channel before asking.'));
    channel.on('data', onData);
    channel.once('end', onEnd);
  });
}

const answer = (a: FileAnswer) => `${JSON.stringify(a)}\n`;

/**
 * Serves one file pull or support bundle per channel: an answer line, then the bytes,
 * streamed with backpressure (never the whole file in memory), then the end of the channel.
 */
export class FileService {
  constructor(private readonly deps: FileServiceDeps) {}

  /** Serves one channel to its end; never throws. */
  handle(channel: Duplex): void {
    channel.on('error', () => undefined);
    void this.serve(channel).catch((err: Error) => {
      this.deps.log.warn({ err: err.message }, 'file pull failed');
      channel.destroy();
    });
  }

  private async serve(channel: Duplex): Promise<void> {
    let request: FileRequest;
    try {
      request = await readRequest(channel);
    } catch (err) {
      channel.end(answer({ ok: false, message: (err as Error).message }));
      return;
    }
    const config = await this.deps.config();
    if (request.op === 'bundle') {
      this.deps.log.info({ logs: config.files.bundleLogs.length }, 'support bundle requested');
      channel.write(answer({ ok: true, size: null, name: `${config.name}-bundle.tar.gz` }));
      await pipeline(supportBundle(config, () => this.deps.status(config)), channel);
      return;
    }
    let file;
    try {
      file = await openAllowedFile(request.path, config.files);
    } catch (err) {
      if (!(err instanceof FileRefusal)) throw err;
      this.deps.log.info({ path: request.path, why: err.message }, 'file pull refused');
      channel.end(answer({ ok: false, message: err.message }));
      return;
    }
    this.deps.log.info({ path: request.path, size: file.size }, 'file pulled');
    try {
      channel.write(answer({ ok: true, size: file.size, name: file.name }));
      // Exactly the size announced: a file that grows meanwhile is cut there, one that shrinks ends short (the server notices).
      const stream = file.handle.createReadStream({ start: 0, end: Math.max(file.size - 1, 0), autoClose: false });
      if (file.size === 0) {
        stream.destroy();
        channel.end();
      } else await pipeline(stream, channel);
    } finally {
      await file.handle.close();
    }
  }
}
