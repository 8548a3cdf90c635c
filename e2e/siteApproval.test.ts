import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { SessionView } from '../src/shared/protocol.js';
import { burrowJson, burrowOk, runBurrow } from './harness/burrowCli.js';
import { getBody, enterSession } from './harness/httpGet.js';
import { burrowBin } from './harness/paths.js';
import { ADMIN } from './harness/serverStack.js';
import { ShellStack } from './harness/shellStack.js';
import { waitFor } from './harness/waitFor.js';
import { startWebUi, WEBUI_HTML, type WebUi } from './harness/webUi.js';

interface Waiting {
  id: string;
  kind: string;
  user: string;
  what: string;
  timeLeftMs: number;
}

interface LogEntry {
  event: string;
  id: string;
  by?: string;
  reason?: string;
}

/** A `burrow` command left running (it waits for the person on site), its output collected as it comes. */
function start(args: string[], home: string): { child: ChildProcess; out: () => string; err: () => string; done: Promise<number> } {
  const child = spawn(burrowBin, args, { env: { ...process.env, BURROW_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  return { child, out: () => out, err: () => err, done };
}

describe('customer approval on site (real server, agent and CLI on both sides)', () => {
  let stack: ShellStack;
  let webui: WebUi;
  let home: string;
  before(async () => {
    stack = await ShellStack.start();
    webui = await startWebUi();
    const node = await stack.enroll('site', await stack.enrollToken({ autoApprove: true }), { services: { webui: `127.0.0.1:${webui.port}` } });
    home = node.home;
    const on = await burrowOk(['node', 'approval', 'on', '--timeout', '1m', '--home', home]);
    assert.match(on, /Approval on site is on/);
    stack.runAgent(node);
    await stack.waitOnline(node.id, true, 30_000);
  });
  after(async () => {
    await stack?.close();
    await webui?.close();
  });

  /** The one request waiting on site, once it is there. */
  const waitingOne = (kind: string) =>
    waitFor(`a ${kind} request waiting on site`, async () => {
      const list = await burrowJson<Waiting[]>(['node', 'approvals', '--home', home]);
      return list.length === 1 && list[0]?.kind === kind ? list[0] : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });

  const localLog = () => burrowJson<LogEntry[]>(['node', 'approvals', '--log', '--home', home]);

  it('holds a WebUI session until a person on site approves it, then it opens and serves the WebUI', async () => {
    const open = start(['admin', 'session', 'open', 'site', '--json'], stack.adminHome);
    await waitFor('the requester to be told it waits', () => /waiting for approval on site/.test(open.err()), { timeoutMs: 30_000, intervalMs: 100 });
    const w = await waitingOne('session');
    assert.equal(w.user, ADMIN.email);
    assert.match(w.what, /WebUI session to the service "webui"/);
    assert.ok(w.timeLeftMs > 0 && w.timeLeftMs <= 60_000);
    assert.match(await burrowOk(['node', 'approve', w.id, '--reason', 'engineer expected', '--home', home]), /Approved/);
    assert.equal(await open.done, 0, open.err());
    const session = JSON.parse(open.out()) as SessionView;
    const entry = await enterSession(session.url, stack.pin);
    const page = await getBody(`${entry.origin}/`, stack.pin, entry.cookie);
    assert.equal(page.body.toString(), WEBUI_HTML);
    const audit = await stack.adminJson<{ action: string; detail: Record<string, unknown> }[]>(['audit', '--limit', '50']);
    const approved = audit.find((e) => e.action === 'approval.approved' && e.detail.approvalId === w.id);
    assert.ok(approved, 'the server audits the decision');
    assert.equal(approved.detail.reason, 'engineer expected');
    assert.ok(audit.some((e) => e.action === 'approval.request' && e.detail.approvalId === w.id));
    const log = await localLog();
    assert.deepEqual(log.filter((e) => e.id === w.id).map((e) => e.event).slice(0, 2), ['requested', 'approved']);
    await stack.admin(['session', 'close', session.id]);
    await waitFor('the grant to end with the session', async () => (await localLog()).some((e) => e.id === w.id && e.event === 'ended'), { timeoutMs: 15_000, intervalMs: 200 });
  });

  it('refuses a shell that a person on site denies, and shows the requester the reason', async () => {
    const ssh = start(['ssh', 'site', '--', 'echo', 'should-not-run'], stack.adminHome);
    await waitFor('the requester to be told it waits', () => /waiting for approval on site/.test(ssh.err()), { timeoutMs: 30_000, intervalMs: 100 });
    const w = await waitingOne('shell');
    assert.match(w.what, /run: echo should-not-run/);
    const noReason = await runBurrow(['node', 'deny', w.id, '--home', home]);
    assert.notEqual(noReason.code, 0, 'a denial needs a reason');
    await burrowOk(['node', 'deny', w.id, '--reason', 'production run in progress', '--home', home]);
    assert.notEqual(await ssh.done, 0);
    assert.match(ssh.err(), /production run in progress/);
    assert.doesNotMatch(ssh.out(), /should-not-run/);
    const audit = await stack.adminJson<{ action: string; result: string; detail: Record<string, unknown> }[]>(['audit', '--limit', '50']);
    assert.ok(audit.some((e) => e.action === 'approval.denied' && e.result === 'denied' && e.detail.reason === 'production run in progress'));
  });

  it('runs an approved shell command', async () => {
    const ssh = start(['ssh', 'site', '--', 'sh', '-c', 'echo approved-$((6*7))'], stack.adminHome);
    const w = await waitingOne('shell');
    await burrowOk(['node', 'approve', w.id, '--home', home]);
    assert.equal(await ssh.done, 0, ssh.err());
    assert.equal(ssh.out(), 'approved-42\n');
  });

  it('runs an approved job: the node checks it is the command the person on site was shown', async () => {
    const job = start(['admin', 'job', 'run', '--node', 'site', '--wait', '--', 'echo', 'job-approved'], stack.adminHome);
    const w = await waitingOne('job');
    assert.equal(w.what, 'run: echo job-approved');
    await burrowOk(['node', 'approve', w.id, '--home', home]);
    assert.equal(await job.done, 0, job.out() + job.err());
    assert.match(job.out(), /job-approved/);
  });

  it('withdraws the request on site when its job is cancelled: the target shows cancelled at once, and the job never runs', async () => {
    const marker = `${home}/cancelled-job-ran`;
    const run = await stack.cli(['admin', 'job', 'run', '--node', 'site', '--json', '--', 'touch', marker]);
    assert.equal(run.code, 0, run.stderr);
    const queued = JSON.parse(run.stdout) as { id: string };
    const w = await waitingOne('job');
    // While it waits, the target says so (not "running"), with since when.
    const shown = await waitFor('the job to show it waits for approval on site', async () => {
      const job = await stack.adminJson<{ targets: { status: string; approvalWaitingSince: string | null }[] }>(['job', 'show', queued.id]);
      return job.targets[0]?.approvalWaitingSince ? job.targets[0] : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok(Date.parse(shown.approvalWaitingSince ?? '') > 0);
    assert.match(await stack.cli(['admin', 'job', 'show', queued.id]).then((r) => r.stdout), /site: waiting for approval on site since \d{4}-/);
    const cancel = await stack.cli(['admin', 'job', 'cancel', queued.id]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /on 1 node /);
    const now = await stack.adminJson<{ targets: { status: string; approvalWaitingSince: string | null }[] }>(['job', 'show', queued.id]);
    assert.equal(now.targets[0]?.status, 'cancelled', 'cancelled at once, not when someone on site decides');
    await waitFor('the request to be withdrawn on site', async () => (await burrowJson<Waiting[]>(['node', 'approvals', '--home', home])).length === 0, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok((await localLog()).some((e) => e.id === w.id && e.event === 'withdrawn' && e.reason === 'the job was cancelled'), 'the site keeps the withdrawal in its log');
    const late = await runBurrow(['node', 'approve', w.id, '--reason', 'too late', '--home', home]);
    assert.notEqual(late.code, 0, 'a withdrawn request cannot be approved');
    assert.match(late.stderr, /withdrawn by the server \(the job was cancelled\)/);
    const target = await waitFor('the job to end', async () => {
      const job = await stack.adminJson<{ targets: { status: string; error: string | null }[] }>(['job', 'show', queued.id]);
      const t = job.targets[0];
      return t && t.status !== 'running' && t.status !== 'pending' ? t : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(target.status, 'cancelled', JSON.stringify(target));
    assert.equal(await import('node:fs/promises').then((fs) => fs.stat(marker).then(() => true, () => false)), false, 'the command never ran');
  });

  it('withdraws the request on site when its job expires while it waits', async () => {
    const run = await stack.cli(['admin', 'job', 'run', '--node', 'site', '--expires', '8s', '--json', '--', 'echo', 'expiring']);
    assert.equal(run.code, 0, run.stderr);
    const queued = JSON.parse(run.stdout) as { id: string };
    const target = await waitFor('the job to expire', async () => {
      const job = await stack.adminJson<{ targets: { status: string; error: string | null }[] }>(['job', 'show', queued.id]);
      const t = job.targets[0];
      return t && t.status !== 'running' && t.status !== 'pending' ? t : undefined;
    }, { timeoutMs: 40_000, intervalMs: 300 });
    assert.equal(target.status, 'expired', JSON.stringify(target));
    assert.equal((await burrowJson<Waiting[]>(['node', 'approvals', '--home', home])).length, 0);
    assert.ok((await localLog()).some((e) => e.event === 'withdrawn' && e.reason === 'the job expired'));
  });

  it('withdraws the request for a shell whose opener hangs up while it waits', async () => {
    const ssh = start(['ssh', 'site', '--', 'echo', 'abandoned'], stack.adminHome);
    const w = await waitingOne('shell');
    ssh.child.kill('SIGINT');
    await ssh.done;
    await waitFor('the request to be withdrawn on site', async () => (await burrowJson<Waiting[]>(['node', 'approvals', '--home', home])).length === 0, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok((await localLog()).some((e) => e.id === w.id && e.event === 'withdrawn'));
  });

  it('withdraws a request whose requester gives up', async () => {
    const open = start(['admin', 'session', 'open', 'site'], stack.adminHome);
    const w = await waitingOne('session');
    open.child.kill('SIGINT');
    await open.done;
    await waitFor('the request to be withdrawn on site', async () => (await burrowJson<Waiting[]>(['node', 'approvals', '--home', home])).length === 0, { timeoutMs: 15_000, intervalMs: 200 });
    assert.ok((await localLog()).some((e) => e.id === w.id && e.event === 'withdrawn'));
    const gone = await runBurrow(['node', 'approve', w.id, '--home', home]);
    assert.notEqual(gone.code, 0, 'a withdrawn request cannot be approved');
  });

  it('denies a job nobody approves in time, with the reason "timed out"', async () => {
    await burrowOk(['node', 'approval', 'on', '--timeout', '2s', '--home', home]);
    const job = await stack.cli(['admin', 'job', 'run', '--node', 'site', '--wait', '--', 'echo', 'never']);
    assert.notEqual(job.code, 0);
    assert.match(job.stderr, /waiting for approval on site/);
    assert.match(job.stdout, /failed.*timed out/);
    const log = await localLog();
    assert.ok(log.some((e) => e.event === 'timed-out' && e.reason === 'timed out'));
    const audit = await stack.adminJson<{ action: string }[]>(['audit', '--limit', '50']);
    assert.ok(audit.some((e) => e.action === 'approval.timed-out'));
  });

  it('lets no other local user reach the approval socket', async () => {
    const { stat } = await import('node:fs/promises');
    const s = await stat(`${home}/approvals.sock`);
    assert.equal(s.mode & 0o777, 0o600);
    assert.equal((await stat(home)).mode & 0o077, 0);
  });
});
