import type { Duplex } from 'node:stream';

/**
 * Reads newline-delimited JSON from `stream`, calling `onValue` per line. A line longer
 * than `maxLine` or that is not JSON destroys the stream: the peer is broken or hostile.
 */
export function readJsonLines(stream: Duplex, maxLine: number, onValue: (value: unknown) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        stream.destroy(new Error('status channel: a line is not JSON'));
        return;
      }
      onValue(value);
    }
    if (buffered.length > maxLine) stream.destroy(new Error('status channel: line too long'));
  });
}

/** Writes one value as a JSON line, if the stream still takes writes. */
export function writeJsonLine(stream: Duplex, value: unknown): void {
  if (stream.writable && !stream.destroyed) stream.write(`${JSON.stringify(value)}\n`);
}
