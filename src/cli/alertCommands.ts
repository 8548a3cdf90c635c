import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { AlertChannelView, AlertRuleSpec, AlertRuleView } from '../shared/alerts.js';
import { parseDuration } from '../shared/duration.js';
import { BurrowError } from '../shared/errors.js';
import { printJson } from './cliOutput.js';
import { readInputFile } from './inputFiles.js';
import { client, homeOption, showNamingGroups, withCommon, type HomeOpt } from './adminShared.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const seconds = (text: string) => Math.round(parseDuration(text) / 1000);
const KINDS = ['node.offline', 'node.online', 'session.opened', 'job.failed', 'signin.failed', 'health.disk', 'health.memory', 'health.load', 'health.service', 'condition.firing', 'budget.warning', 'budget.exceeded'];

interface RuleOpts extends HomeOpt { group: string; kind: string; channel: string[]; quiet: string; after?: string; count?: string; window?: string; percent?: string; above?: string; service?: string; condition?: string }
interface ChannelOpts extends HomeOpt { group: string; webhook?: string; secretFile?: string; smtp?: string; from?: string; to: string[]; smtpUser?: string; smtpPasswordFile?: string; starttls: boolean; caFile?: string }

/** A number option, or a one-sentence error naming it. */
function numberOf(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n)) throw new BurrowError('VALIDATION', `${flag} needs a number for this kind of rule.`);
  return n;
}

/** The rule spec the options describe. */
function specOf(o: RuleOpts): AlertRuleSpec {
  switch (o.kind) {
    case 'node.offline':
      if (!o.after) throw new BurrowError('VALIDATION', 'A node.offline rule needs --after (e.g. 5m).');
      return { kind: 'node.offline', afterSeconds: seconds(o.after) };
    case 'node.online':
    case 'session.opened':
    case 'job.failed':
    case 'budget.warning':
    case 'budget.exceeded':
      return { kind: o.kind };
    case 'signin.failed':
      return { kind: 'signin.failed', count: numberOf(o.count, '--count'), windowSeconds: seconds(o.window ?? '5m') };
    case 'health.disk':
    case 'health.memory':
      return { kind: o.kind, percent: numberOf(o.percent, '--percent') };
    case 'health.load':
      return { kind: 'health.load', above: numberOf(o.above, '--above') };
    case 'health.service':
      return { kind: 'health.service', ...(o.service ? { service: o.service } : {}) };
    case 'condition.firing':
      return { kind: 'condition.firing', ...(o.condition ? { condition: o.condition } : {}) };
    default:
      throw new BurrowError('VALIDATION', `--kind is one of ${KINDS.join(', ')}.`);
  }
}

/** A rule's parameters in one short string, for tables. */
const paramsOf = (spec: AlertRuleSpec) => Object.entries(spec).filter(([k]) => k !== 'kind').map(([k, v]) => `${k}=${String(v)}`).join(' ');

/** `burrow admin alerts …`: rules, channels and the delivery log. */
export function registerAlertCommands(admin: Command): void {
  const alerts = admin.command('alerts').description('alert rules and channels per group, and the delivery log');
  const rules = alerts.command('rules').description('what raises an alert');
  withCommon(rules.command('list').description('list the alert rules of the groups you administer')).action(async (o: HomeOpt) => {
    const api = await client(o);
    const list = await api.call<AlertRuleView[]>('GET', '/v1/alert-rules');
    await showNamingGroups(o, api, o.json ? list : list.map((r) => ({ ...r, kind: r.spec.kind, params: paramsOf(r.spec), channels: r.channels.join(',') })), ['id', 'name', 'group', 'kind', 'params', 'channels', 'quietSeconds']);
  });
  withCommon(
    rules
      .command('add <name>')
      .description('add a rule to a group (it covers the group\'s subgroups too)')
      .requiredOption('--group <group>', 'the group the rule watches')
      .requiredOption('--kind <kind>', KINDS.join(' | '))
      .option('--channel <channel>', 'a channel id or name to notify (repeatable)', collect, [] as string[])
      .option('--quiet <duration>', 'after an alert, the same rule and node stay quiet this long', '1h')
      .option('--after <duration>', 'node.offline: offline longer than this (e.g. 5m)')
      .option('--count <n>', 'signin.failed: more than this many failures')
      .option('--window <duration>', 'signin.failed: within this window', '5m')
      .option('--percent <p>', 'health.disk, health.memory: more than this percent used')
      .option('--above <load>', 'health.load: a 1-minute load average above this')
      .option('--service <name>', 'health.service: only this service (default: any)')
      .option('--condition <name>', 'condition.firing: only the condition rule of this name (default: any)'),
  ).action(async (name: string, o: RuleOpts) => {
    if (o.channel.length === 0) throw new BurrowError('VALIDATION', 'Name at least one --channel to notify.');
    const body = { name, group: o.group, spec: specOf(o), channels: o.channel, quietSeconds: seconds(o.quiet) };
    const r = await (await client(o)).call<AlertRuleView>('POST', '/v1/alert-rules', body);
    if (o.json) printJson(r);
    else process.stdout.write(`Added rule ${r.id} (${r.spec.kind}).\n`);
  });
  rules.command('remove <id>').description('remove a rule').option(...homeOption).action(async (id: string, o: HomeOpt) => {
    await (await client(o)).call('DELETE', `/v1/alert-rules/${encodeURIComponent(id)}`);
    process.stdout.write(`Removed rule ${id}.\n`);
  });
  withCommon(rules.command('test <id>').description('send a test alert to each channel of a rule')).action(async (id: string, o: HomeOpt) => {
    const api = await client(o);
    const rule = (await api.call<AlertRuleView[]>('GET', '/v1/alert-rules')).find((r) => r.id === id || r.name === id);
    if (!rule) throw new BurrowError('NOT_FOUND', `No alert rule ${id}.`);
    await sendTests(o, rule.channels);
  });

  const channels = alerts.command('channels').description('where alerts go: webhooks and email');
  withCommon(channels.command('list').description('list the alert channels of the groups you administer')).action(async (o: HomeOpt) => {
    const api = await client(o);
    const list = await api.call<AlertChannelView[]>('GET', '/v1/alert-channels');
    await showNamingGroups(o, api, o.json ? list : list.map((c) => ({ ...c, target: c.kind === 'webhook' ? c.settings.url : `${String(c.settings.host)}:${String(c.settings.port)} to ${(c.settings.to as string[]).join(',')}` })), ['id', 'name', 'group', 'kind', 'target']);
  });
  withCommon(
    channels
      .command('add <name>')
      .description('add a webhook (--webhook) or email (--smtp) channel to a group')
      .requiredOption('--group <group>', 'the group the channel belongs to')
      .option('--webhook <url>', 'POST each alert as signed JSON to this http(s) URL')
      .option('--secret-file <file>', 'webhook: the signing secret (default: a new random one, printed once)')
      .option('--smtp <host[:port]>', 'send mail through this SMTP server (port 587 unless given)')
      .option('--from <address>', 'email: the sender')
      .option('--to <address>', 'email: a recipient (repeatable)', collect, [] as string[])
      .option('--smtp-user <user>', 'email: the SMTP account')
      .option('--smtp-password-file <file>', 'email: a file holding the SMTP password')
      .option('--no-starttls', 'email: send even if the server does not offer STARTTLS')
      .option('--ca-file <file>', 'email: a PEM certificate the SMTP server\'s certificate must chain to'),
  ).action(async (name: string, o: ChannelOpts) => {
    if (Boolean(o.webhook) === Boolean(o.smtp)) throw new BurrowError('VALIDATION', 'Give either --webhook URL or --smtp HOST.');
    let generated: string | undefined;
    let spec: Record<string, unknown>;
    if (o.webhook) {
      const secret = o.secretFile ? (await readInputFile(o.secretFile, 'the webhook secret')).toString('utf8').trim() : (generated = randomBytes(24).toString('base64url'));
      spec = { kind: 'webhook', url: o.webhook, secret };
    } else {
      const m = /^(.+?)(?::(\d+))?$/.exec(o.smtp as string) as RegExpExecArray;
      if (!o.from || o.to.length === 0) throw new BurrowError('VALIDATION', 'An email channel needs --from and at least one --to.');
      const password = o.smtpPasswordFile ? (await readInputFile(o.smtpPasswordFile, 'the SMTP password')).toString('utf8').trim() : undefined;
      const ca = o.caFile ? (await readInputFile(o.caFile, 'the CA certificate')).toString('utf8') : undefined;
      spec = { kind: 'email', host: m[1], port: m[2] ? Number(m[2]) : 587, starttls: o.starttls, from: o.from, to: o.to, ...(o.smtpUser ? { user: o.smtpUser } : {}), ...(password ? { password } : {}), ...(ca ? { ca } : {}) };
    }
    const c = await (await client(o)).call<AlertChannelView>('POST', '/v1/alert-channels', { name, group: o.group, spec });
    if (o.json) printJson({ ...c, ...(generated ? { secret: generated } : {}) });
    else process.stdout.write(`Added channel ${c.id} (${c.kind}).${generated ? `\nWebhook signing secret, shown once:\n  ${generated}\n` : '\n'}`);
  });
  channels.command('remove <id>').description('remove a channel no rule uses').option(...homeOption).action(async (id: string, o: HomeOpt) => {
    await (await client(o)).call('DELETE', `/v1/alert-channels/${encodeURIComponent(id)}`);
    process.stdout.write(`Removed channel ${id}.\n`);
  });
  withCommon(channels.command('test <id>').description('send a test alert through a channel now')).action(async (id: string, o: HomeOpt) => {
    await sendTests(o, [id]);
  });

  withCommon(alerts.command('deliveries').description('the delivery log: each alert sent to each channel, newest first').option('--limit <n>', 'how many', '50')).action(async (o: HomeOpt & { limit: string }) => {
    const api = await client(o);
    const rows = await api.call<object[]>('GET', `/v1/alert-deliveries?limit=${encodeURIComponent(o.limit)}`);
    await showNamingGroups(o, api, rows, ['createdAt', 'group', 'channel', 'event', 'summary', 'status', 'attempts', 'lastError']);
  });
}

/** Sends a test alert through each channel; fails (exit code) when any delivery failed. */
async function sendTests(o: HomeOpt, channelIds: string[]): Promise<void> {
  const api = await client(o);
  const results: { channel: string; delivery: string; status: string; error: string | null }[] = [];
  for (const id of channelIds) results.push({ channel: id, ...(await api.call<{ delivery: string; status: string; error: string | null }>('POST', `/v1/alert-channels/${encodeURIComponent(id)}/test`)) });
  if (o.json) printJson(results);
  else for (const r of results) process.stdout.write(`${r.channel}: ${r.status}${r.error ? ` (${r.error})` : ''}\n`);
  const failed = results.find((r) => r.status !== 'delivered');
  if (failed) throw new BurrowError('SERVER_UNREACHABLE', `The test alert through ${failed.channel} was not delivered: ${failed.error ?? 'unknown error'}.`);
}
