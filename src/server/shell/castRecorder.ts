import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Clock } from '../../shared/clock.js';

/**
 * Writes a terminal session's output as an asciinema v2 file (a JSON header line, then one
 * `[seconds, "o", text]` line per chunk, `"r"` for resizes). Input is not recorded: it
 * would hold passwords typed at prompts, and the echo shows what was typed anyway.
 */
export class CastRecorder {
  private readonly decoder = new StringDecoder('utf8');
  private bytes = 0;
  private closed = false;

  private constructor(
    private readonly out: WriteStream,
    private readonly clock: Clock,
    private readonly startedAt: number,
  ) {}

  /** Creates `<dir>/<id>.cast` (mode 0600) and writes its header. */
  static async open(dir: string, id: string, o: { cols: number; rows: number; title: string; clock: Clock }): Promise<CastRecorder> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const out = createWriteStream(castPath(dir, id), { flags: 'wx', mode: 0o600 });
    await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
    const now = o.clock.now();
    out.write(`${JSON.stringify({ version: 2, width: o.cols, height: o.rows, timestamp: Math.floor(now / 1000), title: o.title, env: { TERM: 'xterm-256color' } })}\n`);
    return new CastRecorder(out, o.clock, now);
  }

  /** Appends output the terminal showed. */
  output(chunk: Buffer): void {
    this.event('o', this.decoder.write(chunk));
    this.bytes += chunk.length;
  }

  /** Appends a change of terminal size. */
  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  private event(type: 'o' | 'r', data: string): void {
    if (this.closed || data === '') return;
    const t = Math.max(0, this.clock.now() - this.startedAt) / 1000;
    this.out.write(`${JSON.stringify([Number(t.toFixed(3)), type, data])}\n`);
  }

  /** Flushes and closes the file; resolves to the output bytes recorded. Idempotent. */
  async close(): Promise<number> {
    if (!this.closed) {
      this.event('o', this.decoder.end());
      this.closed = true;
      await new Promise<void>((resolve) => this.out.end(() => resolve()));
    }
    return this.bytes;
  }
}

/** Where a recording's file lives. */
export function castPath(dir: string, id: string): string {
  return join(dir, `${id}.cast`);
}
