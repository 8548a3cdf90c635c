import type { Command } from 'commander';
import type { SessionRequestView } from '../shared/protocol.js';
import { printJson, printTable } from './cliOutput.js';
import { client, withCommon, type HomeOpt } from './adminShared.js';

function say(o: HomeOpt, r: SessionRequestView): void {
  if (o.json) printJson(r);
  else if (r.state === 'queued') process.stdout.write(`Queued ${r.id}: node ${r.nodeId} is away; expected to check in at ${r.expectedAt ?? 'an unknown time'}. The session opens when it does.\n`);
  else if (r.session) process.stdout.write(`Session ${r.session.id} is open at ${r.session.url}\n`);
  else process.stdout.write(`Session request ${r.id} is ${r.state}${r.reason ? `: ${r.reason}` : ''}.\n`);
}

/** `burrow admin session-request …`: sessions that wait for an on-demand node to check in. */
export function registerAdminSessionRequestCommands(admin: Command): void {
  const req = admin.command('session-request').description('ask for a session that opens when an on-demand node checks in');
  withCommon(req.command('create <node>').description('open a session now, or queue it until the node checks in').option('--service <name>', 'the node service to reach', 'webui'))
    .action(async (node: string, o: HomeOpt & { service: string }) => {
      say(o, await (await client(o)).call<SessionRequestView>('POST', '/v1/session-requests', { node, service: o.service }));
    });
  withCommon(req.command('show <id>').description('show a request, with its session once open'))
    .action(async (id: string, o: HomeOpt) => {
      say(o, await (await client(o)).call<SessionRequestView>('GET', `/v1/session-requests/${encodeURIComponent(id)}`));
    });
  withCommon(req.command('list').description('list queued requests (--all: every request)').option('--all', 'include settled requests'))
    .action(async (o: HomeOpt & { all?: boolean }) => {
      const rows = await (await client(o)).call<SessionRequestView[]>('GET', `/v1/session-requests${o.all ? '?all=true' : ''}`);
      if (o.json) printJson(rows);
      else printTable(rows as unknown as Record<string, unknown>[], ['id', 'nodeId', 'service', 'state', 'expectedAt', 'requestedAt']);
    });
  withCommon(req.command('cancel <id>').description('cancel a queued request'))
    .action(async (id: string, o: HomeOpt) => {
      say(o, await (await client(o)).call<SessionRequestView>('DELETE', `/v1/session-requests/${encodeURIComponent(id)}`));
    });
}
