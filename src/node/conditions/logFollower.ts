import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** Longest line matched; the rest of a longer line is dropped (a pattern never scans megabytes). */
export const LOG_LINE_MAX = 4096;
/** Most bytes read per poll, so one burst of logging cannot stall the agent. */
const READ_PER_POLL = 8 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** Opens the followed file for reading; an administrator's rule checks the path first. */
export type LogOpener = (path: string) => Promise<FileHandle>;

/** Opens for reading without blocking on a FIFO (the operator's own rules may name a symlink). */
export const openLog: LogOpener = (path) => open(path, constants.O_RDONLY | constants.O_NONBLOCK);

/**
 * Follows a log file like `tail -F`, one poll at a time: starts at the end, reads what was
 * appended since, finishes the old file when it is rotated (renamed, a new file created
 * at the path) and reads the new one from its start, and starts over when the file is
 * truncated. Reads in chunks; never holds more than one line (capped) in memory.
 */
export class LogFollower {
  private handle?: FileHandle;
  private ino = -1;
  private position = 0;
  private partial = '';
  private partialCut = false;

  constructor(
    private readonly path: string,
    private readonly onLine: (line: string) => void,
    private readonly openFile: LogOpener = openLog,
    /** Where the first open starts: the end (only new lines count), or the start (`burrow node conditions test`). */
    private readonly firstFrom: 'start' | 'end' = 'end',
  ) {}

  /** Reads what is new and returns the bytes read; throws (with a sentence) when the file cannot be read at all. */
  async poll(): Promise<number> {
    let budget = READ_PER_POLL;
    if (!this.handle) {
      await this.openAt(this.firstFrom);
      if (this.firstFrom === 'end') return 0;
    }
    const pathStat = await stat(this.path).catch(() => undefined);
    const rotated = pathStat !== undefined && pathStat.ino !== this.ino;
    budget -= await this.readNew(budget);
    if (rotated) {
      // What the old file gained before the rename is counted, then the new file from its start.
      this.flushPartial();
      await this.close();
      await this.openAt('start');
      budget -= await this.readNew(budget);
    }
    return READ_PER_POLL - budget;
  }

  private async openAt(where: 'start' | 'end'): Promise<void> {
    const handle = await this.openFile(this.path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === 'ENOENT' ? `${this.path} does not exist` : `cannot read ${this.path} (${err.code ?? err.message})`);
    });
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new Error(`${this.path} is not a regular file`);
    }
    this.handle = handle;
    this.ino = st.ino;
    this.position = where === 'end' ? st.size : 0;
    this.partial = '';
    this.partialCut = false;
  }

  /** Reads from the position up to the file's size (or `budget` bytes); returns the bytes read. */
  private async readNew(budget: number): Promise<number> {
    const handle = this.handle;
    if (!handle) return 0;
    const { size } = await handle.stat();
    if (size < this.position) {
      // Truncated in place (copytruncate, `> file`): what is there now is new.
      this.position = 0;
      this.partial = '';
      this.partialCut = false;
    }
    let read = 0;
    const buf = Buffer.alloc(CHUNK);
    while (this.position < size && read < budget) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(CHUNK, size - this.position, budget - read), this.position);
      if (bytesRead === 0) break;
      this.position += bytesRead;
      read += bytesRead;
      this.take(buf.toString('utf8', 0, bytesRead));
    }
    return read;
  }

  private take(text: string): void {
    const parts = text.split('\n');
    const last = parts.pop() as string;
    for (const p of parts) {
      this.append(p);
      this.onLine(this.partial);
      this.partial = '';
      this.partialCut = false;
    }
    this.append(last);
  }

  private append(text: string): void {
    if (this.partialCut) return;
    const room = LOG_LINE_MAX - this.partial.length;
    if (text.length > room) this.partialCut = true;
    this.partial += text.slice(0, room);
  }

  /** A last line without its newline, at a rotation, still counts. */
  private flushPartial(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = '';
    this.partialCut = false;
  }

  /** Closes the file; idempotent. */
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close().catch(() => undefined);
  }
}
