import type { Duplex } from 'node:stream';
import { jobWireSchema, type JobWire } from '../../shared/protocol.js';
import { MANIFEST_LIMIT } from '../../shared/jobManifest.js';

/** The header line holds the command and, for a signed job, its manifest. */
const MAX_HEADER = MANIFEST_LIMIT + 32 * 1024;
/** The largest push or update a node accepts. */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

/** Reads a job off its channel: the JSON header line, then exactly `size` payload bytes. */
export function readJob(channel: Duplex): Promise<{ header: JobWire; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let header: JobWire | undefined;
    const fail = (why: string) => {
      channel.off('data', onData);
      reject(new Error(why));
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!header) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          if (buf.length > MAX_HEADER) fail('the job header is too long');
          return;
        }
        let parsed;
        try {
          parsed = jobWireSchema.safeParse(JSON.parse(buf.subarray(0, nl).toString('utf8')));
        } catch {
          return fail('the job header is not JSON');
        }
        if (!parsed.success) return fail(`the job header is invalid: ${parsed.error.issues[0]?.message ?? ''}`);
        if (parsed.data.size > MAX_PAYLOAD) return fail(`the job's file is larger than ${MAX_PAYLOAD} bytes`);
        header = parsed.data;
        buf = buf.subarray(nl + 1);
      }
      if (buf.length >= header.size) {
        channel.off('data', onData);
        resolve({ header, payload: buf.subarray(0, header.size) });
      }
    };
    channel.on('data', onData);
    channel.once('end', () => fail('the server closed the job channel early'));
  });
}
