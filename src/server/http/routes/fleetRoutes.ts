import { z } from 'zod';
import { parseDuration } from '../../../shared/duration.js';
import { BurrowError } from '../../../shared/errors.js';
import { targetAuthority, type ServiceTarget } from '../../../shared/serviceTarget.js';
import { roleOn } from '../../auth/access.js';
import { groupsByCsvPath } from '../../fleet/groupPath.js';
import { exportNodesCsv } from '../../fleet/nodeExport.js';
import { importNodes, type NodeImportOptions } from '../../fleet/nodeImport.js';
import { recordAudit } from '../../store/auditStore.js';
import { listNodes } from '../../store/nodeStore.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { readJson } from '../body.js';

/** Largest node CSV an import takes (about 5,000 nodes with a few services and labels each). */
export const IMPORT_LIMIT = 1024 * 1024;
const MAX_TOKEN_TTL_MS = 30 * 86_400_000;

const optionsSchema = z.object({
  dryRun: z.boolean().default(false),
  skipBad: z.boolean().default(false),
  ttl: z.string().max(20).default('7d'),
});
const jsonBodySchema = optionsSchema.extend({ csv: z.string().max(IMPORT_LIMIT) });

/** Reads a text/csv body of at most IMPORT_LIMIT bytes. */
async function readCsvBody(ctx: ApiContext): Promise<string> {
  if (Number(ctx.get('content-length') || 0) > IMPORT_LIMIT) throw new BurrowError('PAYLOAD_TOO_LARGE', `The file is larger than ${IMPORT_LIMIT} bytes; split it.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > IMPORT_LIMIT) throw new BurrowError('PAYLOAD_TOO_LARGE', `The file is larger than ${IMPORT_LIMIT} bytes; split it.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const flag = (v: unknown) => v === 'true' || v === '1';

/** The file and options: a JSON body `{csv, dryRun, skipBad, ttl}`, or the file itself as text/csv with the options in the query. */
async function readImport(ctx: ApiContext): Promise<{ csv: string; options: z.infer<typeof optionsSchema> }> {
  if (ctx.request.type === 'text/csv') {
    const q = ctx.query;
    const options = optionsSchema.safeParse({ dryRun: flag(q.dryRun), skipBad: flag(q.skipBad), ...(typeof q.ttl === 'string' ? { ttl: q.ttl } : {}) });
    if (!options.success) throw new BurrowError('VALIDATION', 'Invalid request: ttl is a duration such as 7d.');
    return { csv: await readCsvBody(ctx), options: options.data };
  }
  // JSON escapes every newline and quote of the file: room for that, the file itself still at most IMPORT_LIMIT.
  const { csv, ...options } = await readJson(ctx, jsonBodySchema, 2 * IMPORT_LIMIT);
  return { csv, options };
}

/** A live service target written back as the services cell reads it. */
function targetText(t: ServiceTarget): string {
  if (t.type === 'tcp') return `tcp://${targetAuthority(t)}`;
  if (t.type === undefined && t.scheme === 'http') return targetAuthority(t);
  return `${t.scheme}://${targetAuthority(t)}`;
}

/** Bulk registration: import nodes from a CSV file, export the fleet as one. */
export function fleetRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/fleet/import',
      permission: 'admin',
      handler: async (ctx) => {
        const { csv, options } = await readImport(ctx);
        const ttlMs = parseDuration(options.ttl);
        if (ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) throw new BurrowError('VALIDATION', 'An enrollment token lives between 1 second and 30 days.');
        const a = await accessOf(d.db, ctx);
        const o: NodeImportOptions = { dryRun: options.dryRun, skipBad: options.skipBad, tokenTtlMs: ttlMs };
        const report = await importNodes({ db: d.db, clock: d.clock, tlsPin: d.tlsPin, publicUrl: d.publicUrl, userId: a.userId, access: a.access, tree: a.tree, sourceIp: ctx.state.clientIp }, csv, o);
        // With --skip-bad a file is refused only when no line is good (a bad header, say).
        if (!o.dryRun && report.errors.length > 0 && (!o.skipBad || report.nodes.length === 0)) {
          const bad = report.errors.map((e) => e.line);
          await recordAudit(d.db, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.import', result: 'failed', detail: { lines: report.total, created: 0, badLines: bad } }, d.clock.now());
          const lines = report.errors.map((e) => `line ${e.line}: ${e.message}`).join('\n');
          ctx.status = 422;
          ctx.body = { error: { code: 'IMPORT_INVALID', message: `Nothing was imported: ${report.errors.length} of ${report.total} lines are bad.\n${lines}` }, ...report };
          return;
        }
        if (report.total === 0) throw new BurrowError('VALIDATION', 'The file has a header but no node lines.');
        ctx.status = report.imported ? 201 : 200;
        ctx.body = report;
      },
    },
    {
      method: 'GET',
      path: '/v1/fleet/export',
      permission: 'read',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const group = ctx.query.group;
        if (group !== undefined && typeof group !== 'string') throw new BurrowError('VALIDATION', 'Give one group path, not several.');
        let within = new Set(a.groups('viewer'));
        if (group !== undefined) {
          const id = groupsByCsvPath(a.tree).get(group) ?? (a.tree.get(group) ? group : undefined);
          if (id === undefined || roleOn(a.access, a.tree, id) === undefined) throw new BurrowError('NOT_FOUND', `No group ${group}.`);
          within = new Set(a.tree.subtree(id).filter((g) => within.has(g)));
        }
        const nodes = (await listNodes(d.db)).filter((n) => within.has(n.groupId));
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('content-disposition', 'attachment; filename="burrow-nodes.csv"');
        ctx.body = exportNodesCsv(nodes, a.tree, (id) => {
          const conn = d.registry.get(id);
          return conn ? { online: true, targets: Object.fromEntries([...conn.targets].map(([name, t]) => [name, targetText(t)])) } : { online: false };
        });
      },
    },
  ];
}
