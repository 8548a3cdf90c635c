import { createPublicKey } from 'node:crypto';
import { auditHead, chainEntryOf, listAudit, verifyAudit, type AuditFilter, type AuditRow } from '../../store/auditStore.js';
import { exportText } from '../../audit/auditExport.js';
import { BurrowError } from '../../../shared/errors.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { accessOf } from '../accessOf.js';
import { queryNumber } from '../queryNumber.js';
import { listNodes } from '../../store/nodeStore.js';
import { listUsers } from '../../store/userStore.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const time = (v: unknown): number | undefined => {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) throw new BurrowError('VALIDATION', `"${v}" is not a time; use ISO 8601 or milliseconds since the epoch.`);
  return t;
};

/** Formats an audit row for the API. */
export function auditView(r: AuditRow) {
  return {
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    actorEmail: r.actor_email,
    sourceIp: r.source_ip,
    action: r.action,
    objectType: r.object_type,
    target: r.target,
    result: r.result,
    group: r.group_id,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

const CSV_COLUMNS = ['seq', 'at', 'actor', 'actorEmail', 'sourceIp', 'action', 'objectType', 'target', 'result', 'group', 'detail'] as const;

function csvCell(v: unknown): string {
  const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Quote everything and neutralize leading formula characters for spreadsheet safety.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** The filter of a request; group admins read only their groups' entries. */
async function filterOf(d: ApiDeps, ctx: ApiContext, maxLimit: number): Promise<AuditFilter> {
  const a = await accessOf(d.db, ctx);
  const q = ctx.query;
  return {
    actor: str(q.actor),
    action: str(q.action),
    target: str(q.target) ?? str(q.node),
    since: time(q.since),
    until: time(q.until),
    limit: queryNumber(q, 'limit', { min: 1, max: maxLimit }) ?? 100,
    beforeSeq: queryNumber(q, 'before'),
    ...(a.isRootAdmin() ? {} : { groupIds: a.groups('admin') }),
  };
}

/** Reading, exporting and checking the audit log. */
export function auditRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/audit',
      permission: 'admin',
      handler: async (ctx) => {
        const rows = await listAudit(d.db, await filterOf(d, ctx, 1000));
        // People read actors and targets by name: a user's email, a node's name, a group's
        // path (the ids stay in `actor` and `target`).
        const a = await accessOf(d.db, ctx);
        const names = new Map<string, string>([
          ...(await listUsers(d.db)).map((u) => [u.id, u.email] as const),
          ...(await listNodes(d.db, { includeDeleted: true })).map((n) => [n.id, n.name] as const),
          ...a.groups('viewer').map((id) => [id, a.tree.path(id)] as const),
        ]);
        ctx.body = rows.map((r) => ({ ...auditView(r), actorName: names.get(r.actor) ?? null, targetName: r.target === null ? null : (names.get(r.target) ?? null) }));
      },
    },
    {
      method: 'GET',
      path: '/v1/audit/export',
      permission: 'admin',
      handler: async (ctx) => {
        const format = ctx.query.format === 'csv' ? 'csv' : ctx.query.format === 'jsonl' || ctx.query.format === undefined ? 'jsonl' : undefined;
        if (!format) throw new BurrowError('VALIDATION', 'format is csv or jsonl.');
        const filter = await filterOf(d, ctx, 10_000);
        const stored = (await listAudit(d.db, filter)).reverse();
        if (format === 'csv') {
          const rows = stored.map(auditView);
          ctx.type = 'text/csv';
          ctx.body = [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
        } else {
          // With the chain fields, the signing key and the checkpoints, an auditor verifies
          // the file offline. An export that reaches the log's end carries every checkpoint,
          // so one beyond its last entry shows truncation; one that stops earlier, those up to it.
          const last = stored.at(-1)?.seq ?? 0;
          const reachesEnd = last === (await auditHead(d.db)).seq;
          const filtered = [filter.actor, filter.action, filter.target].some((v) => v !== undefined) || filter.groupIds !== undefined;
          // A filtered export cannot be checked against them, and they describe the whole log.
          const checkpoints = filtered ? [] : (await d.audit.checkpoints()).filter((c) => reachesEnd || c.seq <= last);
          ctx.type = 'application/x-ndjson';
          ctx.body = exportText({ exportedAt: new Date(d.clock.now()).toISOString(), publicKey: d.audit.publicKeyPem, filtered }, stored.map(chainEntryOf), checkpoints);
        }
        ctx.set('Content-Disposition', `attachment; filename="burrow-audit.${format}"`);
      },
    },
    {
      method: 'GET',
      path: '/v1/audit/verify',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        // The chain spans every group, so only root admins may walk it.
        if (!a.isRootAdmin()) throw new BurrowError('FORBIDDEN', 'Only administrators of the root group can verify the whole audit chain.');
        ctx.body = await verifyAudit(d.db, { macKey: d.audit.macKey, publicKey: createPublicKey(d.audit.publicKeyPem) }, await d.audit.checkpoints());
      },
    },
  ];
}
