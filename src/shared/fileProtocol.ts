import { z } from 'zod';
import { absolutePathSchema, BUNDLE_LOGS_MAX, FILE_PULL_MAX_BYTES } from './config.js';

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
  z.strictObject({ ok: z.literal(true), size: z.number().int().nonnegative().max(FILE_PULL_MAX_BYTES).nullable(), name: z.string().max(255) }),
  z.strictObject({ ok: z.literal(false), message: z.string().max(1000) }),
]);
export type FileAnswer = z.infer<typeof fileAnswerSchema>;

/** The longest request or answer line either side reads. */
export const FILE_LINE_MAX = 8 * 1024;

/** A bundle carries at most this much of the end of each log file: the recent past is what support reads. */
export const BUNDLE_LOG_TAIL = 16 * 1024 * 1024;

/**
 * The most an agent's support bundle can take: the tail of every log it may list, plus one
 * tail's worth for status, system facts, tar headers and gzip's overhead. A bundle is made
 * as it streams and announces no size, so this is what bounds a hostile node's.
 */
export const BUNDLE_MAX_BYTES = (BUNDLE_LOGS_MAX + 1) * BUNDLE_LOG_TAIL;
