import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../../../shared/duration.js';
import { BurrowError } from '../../../shared/errors.js';
import { MANIFEST_LIMIT } from '../../../shared/jobManifest.js';
import { newId } from '../../../shared/secrets.js';
import { signedManifestProblem } from '../../jobs/signedManifest.js';
import { appendAudit } from '../../store/auditStore.js';
import { askCancelRunning, CANCEL_ASKED, cancelWaitingApproval, closePending, getJob, insertJob, listJobs, listTargets, targetStatusesOf, type JobRecord } from '../../store/jobStore.js';
import { listUsers } from '../../store/userStore.js';
import { listNodes } from '../../store/nodeStore.js';
import { accessOf, groupParam, type RequestAccess } from '../accessOf.js';
import { readJson } from '../body.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { nodeParam } from './nodeRoutes.js';
import { listedTargets, selectorTargets } from '../jobTargets.js';

/** Pushes and updates travel base64 in the JSON body; this caps the whole request. */
const JOB_BODY_LIMIT = 48 * 1024 * 1024;
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
const absolutePath = z
  .string()
  .min(2)
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), 'the target must be an absolute path without .. components');

const createSchema = z
  .object({
    node: z.string().min(1).max(100).optional(),
    /** Nodes chosen one by one (the console's bulk action). */
    nodes: z.array(z.string().min(1).max(100)).min(1).max(500).optional(),
    group: z.string().min(1).max(100).optional(),
    /** A label selector (k=v,k2!=v2): the approved nodes matching it, within `group` when given. */
    selector: z.string().min(1).max(500).optional(),
    command: z.string().min(1).max(8192).optional(),
    push: z
      .object({
        path: absolutePath,
        // The agent runs as root: a setuid or setgid file from a push would hand root to any local user.
        mode: z.number().int().min(0).max(0o7777).refine((m) => (m & 0o6000) === 0, 'a push may not set the setuid or setgid bit').default(0o644),
        content: base64,
      })
      .optional(),
    update: z
      .object({
        fileName: z.string().regex(/^[\w.+-]{1,200}$/, 'a file name of letters, digits and . _ + -'),
        content: base64,
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256'),
        install: z.string().min(1).max(8192),
      })
      .optional(),
    /** A manifest pinning this job and its ed25519 signature, for nodes with an update key. */
    signed: z.object({ manifest: z.string().min(2).max(MANIFEST_LIMIT), signature: base64.max(200) }).optional(),
    timeoutMs: z.number().int().min(1000).max(24 * 3_600_000).default(60_000),
    stopAfterFailures: z.number().int().min(1).optional(),
    expiresIn: z.string().default('24h'),
  })
  .refine(
    (b) => [b.node, b.nodes, b.group ?? b.selector].filter((x) => x !== undefined).length === 1,
    'give exactly one of node, nodes and group (or a label selector, alone or with a group)',
  )
  .refine((b) => [b.command, b.push, b.update].filter((x) => x !== undefined).length === 1, 'give exactly one of command, push and update');

function view(j: JobRecord, emails: ReadonlyMap<string, string>) {
  return {
    id: j.id,
    kind: j.kind,
    command: j.command,
    path: j.path,
    mode: j.mode,
    sha256: j.sha256,
    signed: j.signature !== null,
    group: j.groupId,
    createdBy: j.createdBy,
    /** The creator's email; null for a user since deleted (the id stays). */
    creator: j.createdBy === null ? null : (emails.get(j.createdBy) ?? null),
    createdAt: new Date(j.createdAt).toISOString(),
    expiresAt: new Date(j.expiresAt).toISOString(),
    timeoutMs: j.timeoutMs,
    stopAfterFailures: j.stopAfterFailures,
  };
}

/** Users' emails by id, to name job creators. */
async function userEmails(d: ApiDeps): Promise<Map<string, string>> {
  return new Map((await listUsers(d.db)).map((u) => [u.id, u.email]));
}

/** Nodes' names by id, deleted ones included (a job outlives its nodes). */
async function nodeNames(d: ApiDeps): Promise<Map<string, string>> {
  return new Map((await listNodes(d.db, { includeDeleted: true })).map((n) => [n.id, n.name]));
}

async function jobParam(d: ApiDeps, a: RequestAccess, ctx: ApiContext): Promise<JobRecord> {
  const id = ctx.params.id as string;
  const job = await getJob(d.db, id);
  if (!job || !a.groups('viewer').includes(job.groupId)) throw new BurrowError('JOB_NOT_FOUND', `No job ${id}.`);
  return job;
}

/** Jobs: commands, file pushes and software updates queued per node or group. */
export function jobRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/v1/jobs',
      permission: 'operate',
      handler: async (ctx) => {
        const body = await readJson(ctx, createSchema, JOB_BODY_LIMIT);
        const a = await accessOf(d.db, ctx);
        let groupId: string;
        let nodeIds: string[];
        if (body.selector !== undefined) {
          ({ groupId, nodeIds } = await selectorTargets(d, a, body.selector, body.group));
        } else if (body.nodes !== undefined) {
          ({ groupId, nodeIds } = await listedTargets(d, a, body.nodes));
        } else if (body.node !== undefined) {
          const node = await nodeParam(d, a, body.node, 'operator');
          if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${body.node} is ${node.status}.`);
          groupId = node.groupId;
          nodeIds = [node.id];
        } else {
          const group = await groupParam(d.db, a, body.group as string, 'operator');
          groupId = group.id;
          nodeIds = (await listNodes(d.db)).filter((n) => n.status === 'approved' && a.tree.isWithin(n.groupId, group.id)).map((n) => n.id);
          if (nodeIds.length === 0) throw new BurrowError('VALIDATION', `Group ${body.group as string} has no approved nodes.`);
        }
        let expiresInMs: number;
        try {
          expiresInMs = parseDuration(body.expiresIn);
        } catch {
          throw new BurrowError('VALIDATION', 'Invalid request: expiresIn: expected a duration such as 30m, 24h or 7d.');
        }
        const now = d.clock.now();
        const push = body.push ? Buffer.from(body.push.content, 'base64') : undefined;
        const update = body.update ? Buffer.from(body.update.content, 'base64') : undefined;
        const job: JobRecord = {
          id: newId('job'),
          kind: push ? 'push' : update ? 'update' : 'command',
          command: body.command ?? body.update?.install ?? null,
          path: body.push?.path ?? body.update?.fileName ?? null,
          mode: body.push?.mode ?? null,
          payload: push ?? update ?? null,
          // A push is hashed here so the node can check the bytes it got; an update carries the
          // hash its publisher gave, and only the node checks it, against the bytes it will run.
          sha256: push ? createHash('sha256').update(push).digest('hex') : (body.update?.sha256 ?? null),
          manifest: body.signed?.manifest ?? null,
          signature: body.signed?.signature ?? null,
          timeoutMs: body.timeoutMs,
          stopAfterFailures: body.stopAfterFailures ?? null,
          createdBy: a.userId,
          groupId,
          createdAt: now,
          expiresAt: now + expiresInMs,
        };
        if (job.manifest !== null) {
          const problem = signedManifestProblem(job.manifest, job, nodeIds, now);
          if (problem) throw new BurrowError('VALIDATION', `Invalid request: ${problem}.`);
        }
        await d.db.transaction(async (tx) => {
          await insertJob(tx, job, nodeIds);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'job.create', target: job.id, result: 'ok', groupId, detail: { kind: job.kind, command: job.command, path: job.path, sha256: job.sha256, signed: job.manifest !== null, nodes: nodeIds } }, now);
        });
        // Every instance's dispatcher hears it (this one's at once) and delivers to the nodes it holds.
        d.cluster.publish('job.created', { jobId: job.id }).catch((err: Error) => d.log.warn({ err: err.message, jobId: job.id }, 'could not announce a job to other instances; they deliver it when its nodes next connect'));
        ctx.status = 201;
        ctx.body = { ...view(job, await userEmails(d)), nodes: nodeIds };
      },
    },
    {
      method: 'GET',
      path: '/v1/jobs',
      permission: 'read',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const visible = new Set(a.groups('viewer'));
        const jobs = (await listJobs(d.db)).filter((j) => visible.has(j.groupId));
        const [emails, names, targets] = await Promise.all([userEmails(d), nodeNames(d), targetStatusesOf(d.db, jobs.map((j) => j.id))]);
        const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
        ctx.body = jobs.map((j) => ({ ...view(j, emails), targets: (targets.get(j.id) ?? []).map((t) => ({ ...t, name: names.get(t.nodeId) ?? null, approvalWaitingSince: iso(t.approvalWaitingSince) })) }));
      },
    },
    {
      method: 'GET',
      path: '/v1/jobs/:id',
      permission: 'read',
      handler: async (ctx) => {
        const job = await jobParam(d, await accessOf(d.db, ctx), ctx);
        const [emails, names] = await Promise.all([userEmails(d), nodeNames(d)]);
        const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
        const targets = (await listTargets(d.db, job.id)).map((t) => ({ ...t, name: names.get(t.nodeId) ?? null, startedAt: iso(t.startedAt), finishedAt: iso(t.finishedAt), approvalWaitingSince: iso(t.approvalWaitingSince) }));
        ctx.body = { ...view(job, emails), targets };
      },
    },
    {
      method: 'POST',
      path: '/v1/jobs/:id/cancel',
      permission: 'operate',
      // Stops the job reaching any node it has not reached yet; a request for approval on site
      // is withdrawn from the node and its target ends cancelled at once. A command already
      // running on a node runs to its end (or its timeout), as killing it half-way may leave worse.
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const job = await jobParam(d, a, ctx);
        a.require(job.groupId, 'operator', `job ${job.id}`);
        const now = d.clock.now();
        const cancelled = await d.db.transaction(async (tx) => {
          const n = (await closePending(tx, job.id, 'cancelled', CANCEL_ASKED, now)) + (await cancelWaitingApproval(tx, job.id, now));
          // Claimed targets about to ask for approval on site will not start (jobDispatcher).
          const claimed = await askCancelRunning(tx, job.id);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'job.cancel', target: job.id, result: 'ok', groupId: job.groupId, detail: { cancelled: n, ...(claimed ? { running: claimed } : {}) } }, now);
          return n;
        });
        // The instance waiting for the job's approval on site (whichever) withdraws the request from the node.
        d.cluster.publish('job.cancelled', { jobId: job.id }).catch((err: Error) => d.log.warn({ err: err.message, jobId: job.id }, 'could not announce a cancelled job; a request for it on site stays until decided, and an approval then runs nothing'));
        ctx.body = { ...view(job, await userEmails(d)), cancelled };
      },
    },
  ];
}
