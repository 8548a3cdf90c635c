import type { Context } from 'koa';
import type { z } from 'zod';
import { BurrowError } from '../../shared/errors.js';

const DEFAULT_LIMIT = 64 * 1024;

/** Reads a JSON request body of at most `LIMIT` (64 KiB, unless the route allows more) and validates it against `schema`. */
export async function readJson<S extends z.ZodType>(ctx: Context, schema: S, LIMIT = DEFAULT_LIMIT): Promise<z.infer<S>> {
  const type = ctx.request.type;
  const length = Number(ctx.get('content-length') || 0);
  let text = '';
  if (length > LIMIT) throw new BurrowError('PAYLOAD_TOO_LARGE', `The request body is larger than ${LIMIT} bytes.`);
  if (length > 0 || ctx.get('transfer-encoding')) {
    if (type !== 'application/json') throw new BurrowError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > LIMIT) throw new BurrowError('PAYLOAD_TOO_LARGE', `The request body is larger than ${LIMIT} bytes.`);
      chunks.push(chunk);
    }
    text = Buffer.concat(chunks).toString('utf8');
  }
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new BurrowError('BAD_REQUEST', 'The request body is not valid JSON.');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new BurrowError('VALIDATION', `Invalid request: ${where}${issue?.message ?? 'unexpected body'}.`);
  }
  return parsed.data;
}
