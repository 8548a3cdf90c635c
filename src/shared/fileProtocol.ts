import { z } from 'zod';
import { absolutePathSchema } from './config.js';

export { FILES_SERVICE } from './internalServices.js';

/*
 * The `files` service: the server writes one JSON request line; the node answers one JSON
 * header line, then (when ok) the file's bytes, and ends the channel. Nothing else flows.
 */

/** What the server asks of the node's `files` service. */
export const fileRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('get'), path: absolutePathSchema }),
  z.strictObject({ op: z.literal('bundle') }),
]);
export type FileRequest = z.infer<typeof fileRequestSchema>;

/** The node's answer line: the size (null for a bundle, made as it streams) and a file name, or why not. */
export const fileAnswerSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), size: z.number().int().nonnegative().nullable(), name: z.string().max(255) }),
  z.strictObject({ ok: z.literal(false), message: z.string().max(1000) }),
]);
export type FileAnswer = z.infer<typeof fileAnswerSchema>;

/** The longest request or answer line either side reads. */
export const FILE_LINE_MAX = 8 * 1024;
