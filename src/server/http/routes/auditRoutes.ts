import { listAudit, verifyAudit, type AuditRow } from '../../store/auditStore.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

const num = (v: unknown): number | undefined => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Formats an audit row for the API. */
export function auditView(r: AuditRow) {
  return {
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    sourceIp: r.source_ip,
    action: r.action,
    target: r.target,
    result: r.result,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

/** Reading and checking the audit log. */
export function auditRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/audit',
      permission: 'admin',
      handler: async (ctx) => {
        const q = ctx.query;
        const rows = await listAudit(d.db, {
          actor: str(q.actor),
          action: str(q.action),
          target: str(q.target),
          since: num(q.since),
          until: num(q.until),
          limit: num(q.limit),
          beforeSeq: num(q.before),
        });
        ctx.body = rows.map(auditView);
      },
    },
    {
      method: 'GET',
      path: '/v1/audit/verify',
      permission: 'admin',
      handler: async (ctx) => {
        ctx.body = await verifyAudit(d.db);
      },
    },
  ];
}
