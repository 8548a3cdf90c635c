import { z } from 'zod';
import { alertChannelSpecSchema, alertNameSchema, alertRuleSpecSchema, type AlertChannelSpec } from '../../../shared/alerts.js';
import { BurrowError } from '../../../shared/errors.js';
import { newId } from '../../../shared/secrets.js';
import { AlertDelivery, channelSecretContext } from '../../alerts/alertDelivery.js';
import { TargetPolicy } from '../../alerts/targetPolicy.js';
import { appendAudit, recordAudit } from '../../store/auditStore.js';
import { listAlertDeliveries } from '../../store/alertDeliveryStore.js';
import { deleteAlertChannel, deleteAlertRule, getAlertChannel, getAlertRule, insertAlertChannel, insertAlertRule, listAlertChannels, listAlertRules, type AlertChannelRecord } from '../../store/alertStore.js';
import { ROOT_GROUP_ID } from '../../store/groupStore.js';
import { readJson } from '../body.js';
import { accessOf, groupParam, type RequestAccess } from '../accessOf.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { queryNumber } from '../queryNumber.js';
import { channelView, deliveryView, ruleView } from './alertViews.js';

const ruleSchema = z.strictObject({
  name: alertNameSchema,
  group: z.string().min(1).max(100),
  spec: alertRuleSpecSchema,
  /** Channel ids or names, of the rule's group or a group above it. */
  channels: z.array(z.string().min(1).max(100)).min(1).max(10),
  quietSeconds: z.number().int().min(0).max(30 * 86_400).default(3_600),
});
const channelSchema = z.strictObject({ name: alertNameSchema, group: z.string().min(1).max(100), spec: alertChannelSpecSchema });

/** The settings kept in clear: everything but the webhook secret and the SMTP password. */
function clearSettings(spec: AlertChannelSpec): { config: Record<string, unknown>; secret: string | null } {
  if (spec.kind === 'webhook') return { config: { url: spec.url }, secret: spec.secret };
  const { host, port, starttls, user, ca, from, to, password } = spec;
  return { config: { host, port, starttls, from, to, ...(user ? { user } : {}), ...(ca ? { ca } : {}) }, secret: password ?? null };
}

/** The host a channel connects to. */
const hostOf = (spec: AlertChannelSpec) => (spec.kind === 'webhook' ? new URL(spec.url).hostname : spec.host);

/** Rules, channels and the delivery log, per group; group admins manage their own groups'. */
export function alertRoutes(d: ApiDeps): RouteDef[] {
  const policy = d.alerts?.policy ?? new TargetPolicy(false);
  const delivery = d.alerts?.delivery ?? new AlertDelivery({ db: d.db, box: d.box, clock: d.clock, log: d.log, policy });

  /** A rule or channel the caller administers; NOT_FOUND for one it cannot see. */
  const owned = async <T extends { groupId: string }>(a: RequestAccess, found: T | undefined, what: string): Promise<T> => {
    if (!found) throw new BurrowError('NOT_FOUND', `No ${what}.`);
    a.require(found.groupId, 'admin', what);
    return found;
  };
  const channelOf = async (a: RequestAccess, ctx: ApiContext) => owned(a, await getAlertChannel(d.db, ctx.params.id as string), `alert channel ${ctx.params.id as string}`);

  return [
    {
      method: 'GET',
      path: '/v1/alert-rules',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const mine = new Set(a.groups('admin'));
        ctx.body = (await listAlertRules(d.db)).filter((r) => mine.has(r.groupId)).map(ruleView);
      },
    },
    {
      method: 'POST',
      path: '/v1/alert-rules',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, ruleSchema);
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, body.group, 'admin');
        if (body.spec.kind === 'signin.failed' && group.id !== ROOT_GROUP_ID) throw new BurrowError('VALIDATION', 'Sign-in failure rules count every account on the server: create them on the root group.');
        const all = await listAlertChannels(d.db);
        const channelIds = body.channels.map((ref) => {
          const c = all.find((x) => (x.id === ref || x.name === ref) && a.tree.isWithin(group.id, x.groupId) && a.groups('admin').includes(x.groupId));
          if (!c) throw new BurrowError('NOT_FOUND', `No alert channel ${ref} in group ${group.name} or above it.`);
          return c.id;
        });
        const id = newId('alr');
        const now = d.clock.now();
        const rule = { id, groupId: group.id, name: body.name, spec: body.spec, channelIds: [...new Set(channelIds)], quietMs: body.quietSeconds * 1000, createdBy: a.userId, createdAt: now };
        await d.db.transaction(async (tx) => {
          await insertAlertRule(tx, rule);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'alert.rule.create', target: id, objectType: 'alert-rule', result: 'ok', groupId: group.id, detail: { name: body.name, spec: body.spec, channels: rule.channelIds, quietSeconds: body.quietSeconds } }, now);
        }).catch((err: Error) => {
          if (/UNIQUE|unique/.test(err.message)) throw new BurrowError('CONFLICT', `Group ${group.name} already has an alert rule named ${body.name}.`);
          throw err;
        });
        ctx.status = 201;
        ctx.body = ruleView(rule);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/alert-rules/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const rule = await owned(a, await getAlertRule(d.db, ctx.params.id as string), `alert rule ${ctx.params.id as string}`);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await deleteAlertRule(tx, rule.id);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'alert.rule.delete', target: rule.id, objectType: 'alert-rule', result: 'ok', groupId: rule.groupId, detail: { name: rule.name } }, now);
        });
        ctx.status = 204;
      },
    },
    {
      method: 'GET',
      path: '/v1/alert-channels',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const mine = new Set(a.groups('admin'));
        ctx.body = (await listAlertChannels(d.db)).filter((c) => mine.has(c.groupId)).map(channelView);
      },
    },
    {
      method: 'POST',
      path: '/v1/alert-channels',
      permission: 'admin',
      handler: async (ctx) => {
        const body = await readJson(ctx, channelSchema);
        const a = await accessOf(d.db, ctx);
        const group = await groupParam(d.db, a, body.group, 'admin');
        policy.checkLiteral(hostOf(body.spec));
        const id = newId('alc');
        const now = d.clock.now();
        const { config, secret } = clearSettings(body.spec);
        const channel: AlertChannelRecord = { id, groupId: group.id, name: body.name, kind: body.spec.kind, config, secretSealed: secret === null ? null : d.box.seal(secret, channelSecretContext(id)), createdBy: a.userId, createdAt: now };
        await d.db.transaction(async (tx) => {
          await insertAlertChannel(tx, channel);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'alert.channel.create', target: id, objectType: 'alert-channel', result: 'ok', groupId: group.id, detail: { name: body.name, kind: body.spec.kind, ...config } }, now);
        }).catch((err: Error) => {
          if (/UNIQUE|unique/.test(err.message)) throw new BurrowError('CONFLICT', `Group ${group.name} already has an alert channel named ${body.name}.`);
          throw err;
        });
        ctx.status = 201;
        ctx.body = channelView(channel);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/alert-channels/:id',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const channel = await channelOf(a, ctx);
        const users = (await listAlertRules(d.db)).filter((r) => r.channelIds.includes(channel.id));
        if (users.length) throw new BurrowError('CONFLICT', `Alert channel ${channel.name} is used by rule(s) ${users.map((r) => r.name).join(', ')}; remove them first.`);
        const now = d.clock.now();
        await d.db.transaction(async (tx) => {
          await deleteAlertChannel(tx, channel.id);
          await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'alert.channel.delete', target: channel.id, objectType: 'alert-channel', result: 'ok', groupId: channel.groupId, detail: { name: channel.name } }, now);
        });
        ctx.status = 204;
      },
    },
    {
      method: 'POST',
      path: '/v1/alert-channels/:id/test',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const channel = await channelOf(a, ctx);
        const now = d.clock.now();
        await recordAudit(d.db, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'alert.channel.test', target: channel.id, objectType: 'alert-channel', result: 'ok', groupId: channel.groupId, detail: { name: channel.name } }, now);
        const message = { id: newId('alm'), event: 'test', summary: `Test alert for channel ${channel.name}`, group: channel.groupId, rule: null, node: null, at: new Date(now).toISOString(), detail: { requestedBy: principalEmail(ctx) } };
        // One attempt: the caller is waiting for the answer.
        const first = await delivery.deliver(channel, message, null, null, { attempts: 1 });
        ctx.body = { delivery: first.deliveryId, status: first.status, error: first.error };
      },
    },
    {
      method: 'GET',
      path: '/v1/alert-deliveries',
      permission: 'admin',
      handler: async (ctx) => {
        const a = await accessOf(d.db, ctx);
        const limit = queryNumber(ctx.query, 'limit', { min: 1, max: 1000 }) ?? 100;
        ctx.body = (await listAlertDeliveries(d.db, a.groups('admin'), limit)).map(deliveryView);
      },
    },
  ];
}

const principalEmail = (ctx: ApiContext) => ctx.state.principal?.email ?? null;
