import { posix } from 'node:path';
import { absolutePathSchema } from '../../../shared/config.js';
import { BurrowError } from '../../../shared/errors.js';
import type { FileRequest } from '../../../shared/fileProtocol.js';
import { recordAudit } from '../../store/auditStore.js';
import { pullFromNode } from '../../files/pullFromNode.js';
import { accessOf } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { nodeParam } from './nodeRoutes.js';
import { assertWithinBudget } from '../../budget/nodeBudget.js';

/** A download's Content-Disposition: a plain ASCII name for old clients, the exact one in filename*. */
export function attachment(name: string): string {
  // "/" and "/x/." end in no name a file can be saved under.
  const base = /^\.*$/.test(name) ? 'download' : name;
  const plain = base.replace(/[^\w.-]/g, '_').slice(0, 120);
  // Cut by code point: half a surrogate pair makes encodeURIComponent throw.
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(Array.from(base).slice(0, 200).join(''))}`;
}

/**
 * Streams a file or a support bundle from a node to the caller. The audit entry is written
 * when the stream ends, with the size and SHA-256 of what actually passed; a refusal is
 * audited at once with the node's reason.
 */
async function pull(d: ApiDeps, ctx: ApiContext, request: FileRequest, action: 'node.file.get' | 'node.bundle'): Promise<void> {
  const a = await accessOf(d.db, ctx);
  const node = await nodeParam(d, a, ctx.params.id as string, 'operator');
  const audit = (result: 'ok' | 'failed' | 'denied', detail: Record<string, unknown>) =>
    recordAudit(d.db, { actor: a.userId, sourceIp: ctx.state.clientIp, action, target: node.id, groupId: node.groupId, result, detail: { ...(request.op === 'get' ? { path: request.path } : {}), ...detail } }, d.clock.now()).catch((err: Error) =>
      d.log.warn({ err: err.message, action }, 'could not audit a file pull'));
  const conn = d.registry.get(node.id);
  if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline.`);
  try {
    await assertWithinBudget(d.db, node, d.clock.now());
  } catch (err) {
    await audit('denied', { error: (err as Error).message });
    throw err;
  }
  let p;
  try {
    p = await pullFromNode(conn, node.name, request, { ip: ctx.state.clientIp, port: 0 });
  } catch (err) {
    if (err instanceof BurrowError) await audit(err.code === 'FILE_REFUSED' || err.code === 'FILES_OFF' ? 'denied' : 'failed', { error: err.message });
    throw err;
  }
  const stamp = new Date(d.clock.now()).toISOString().replace(/[:.]/g, '-');
  // The name is the one asked for, never the node's: a hostile node would name its bytes
  // Makefile or conftest.py and have them land in the admin's working directory.
  ctx.set('Content-Disposition', attachment(request.op === 'bundle' ? `${node.name}-bundle-${stamp}.tar.gz` : posix.basename(request.path)));
  ctx.type = request.op === 'bundle' ? 'application/gzip' : 'application/octet-stream';
  if (p.size !== null) ctx.length = p.size;
  ctx.body = p.body;
  void p.done.then((r) => audit(r.ok ? 'ok' : 'failed', r.ok ? { bytes: r.bytes, sha256: r.sha256 } : { bytes: r.bytes, error: r.error }));
}

/** Pulling files and support bundles from nodes whose operators allowed it. */
export function fileRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/nodes/:id/files',
      permission: 'operate',
      handler: async (ctx) => {
        const path = absolutePathSchema.safeParse(ctx.query.path);
        if (!path.success) throw new BurrowError('VALIDATION', 'Give the file as ?path=/absolute/path (no ".." segments).');
        await pull(d, ctx, { op: 'get', path: path.data }, 'node.file.get');
      },
    },
    {
      method: 'GET',
      path: '/v1/nodes/:id/bundle',
      permission: 'operate',
      handler: (ctx) => pull(d, ctx, { op: 'bundle' }, 'node.bundle'),
    },
  ];
}
