import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { AlertMessage } from '../src/shared/alerts.js';
import type { NodeConditionsView } from '../src/shared/conditions.js';
import { burrowJson, burrowOk, runBurrow } from './harness/burrowCli.js';
import { launchChromium } from './harness/chromium.js';
import { ADMIN } from './harness/serverStack.js';
import { totpCode } from './harness/totp.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

const SECRET = 'e2e-webhook-secret-0123456789';
/** A half-hour window twelve hours from now, never spanning midnight. */
const farWindow = () => {
  const h = String((new Date().getUTCHours() + 12) % 24).padStart(2, '0');
  return `daily ${h}:00-${h}:30`;
};

// Issue 23: a log rule on the node fires when lines are appended, the state reaches the
// server (CLI), and an alert goes to a webhook; an on-demand node connects to tell it.
describe('condition monitoring on the node (real server, agent and webhook)', () => {
  const stack = stackSuite({ serverConfig: { alertPrivateTargets: true, alertPollMs: 500 } });
  const hooks: AlertMessage[] = [];
  const webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as AlertMessage);
      res.writeHead(204).end();
    });
  });
  before(() => new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve)));
  after(async () => {
    webhook.closeAllConnections();
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  });

  const conditions = (node: string) => stack().adminJson<NodeConditionsView>(['node', 'conditions', node]);
  const stateOf = async (node: string, name: string) => (await conditions(node)).states.find((s) => s.name === name);

  it('fires a log rule on appended lines, shows it on the server and sends one alert', async () => {
    const s = stack();
    const logs = join(s.dir, 'logs');
    await mkdir(logs);
    const log = join(logs, 'app.log');
    await writeFile(log, 'ERROR from before the rule\n');
    const secret = join(s.dir, 'hook-secret');
    await writeFile(secret, `${SECRET}\n`);
    await s.admin(['alerts', 'channels', 'add', 'ops-hook', '--group', 'root', '--webhook', `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/burrow`, '--secret-file', secret]);
    await s.admin(['alerts', 'rules', 'add', 'conditions', '--group', 'root', '--kind', 'condition.firing', '--channel', 'ops-hook']);

    // The operator's rule, picked up by the running agent without a restart.
    await burrowOk(['node', 'conditions', 'add', 'errors', '--log', log, '--pattern', '^ERROR', '--count', '3', '--window', '10m', '--every', '1s', '--home', s.node.home]);
    const ok = await waitFor('the rule to be reported ok', async () => ((await stateOf('n1', 'errors'))?.state === 'ok' ? true : undefined), { timeoutMs: 20_000 });
    assert.ok(ok);
    await appendFile(log, 'ERROR disk fault\nINFO fine\nERROR disk fault\n');
    await appendFile(log, 'ERROR disk fault\n');
    const firing = await waitFor('the rule to fire on the server', async () => {
      const st = await stateOf('n1', 'errors');
      return st?.state === 'firing' ? st : undefined;
    }, { timeoutMs: 20_000 });
    assert.equal(firing.value, 3, 'the line from before the rule is not counted');
    assert.equal(firing.origin, 'operator');
    await waitFor('the condition alert', () => hooks.some((h) => h.event === 'condition.firing'), { timeoutMs: 20_000 });
    const hook = hooks.find((h) => h.event === 'condition.firing');
    assert.equal(hook?.node?.name, 'n1');
    assert.equal(hook?.detail.condition, 'errors');
    const history = (await conditions('n1')).history.filter((h) => h.name === 'errors').map((h) => h.state);
    assert.deepEqual(history, ['firing', 'ok'], 'newest first');
    const text = await s.admin(['node', 'conditions', 'n1']);
    assert.match(text, /firing\s+errors \(operator\)/);
    // More lines: still the same incident, no second alert.
    await appendFile(log, 'ERROR disk fault\n');
    await s.admin(['node', 'condition', 'add', 'n1', 'later', '--value', 'load', '--above', '100000']);
    await waitFor('the next rule to reach the server', async () => ((await stateOf('n1', 'later')) ? true : undefined), { timeoutMs: 20_000 });
    assert.equal(hooks.filter((h) => h.event === 'condition.firing').length, 1);
    await s.admin(['node', 'condition', 'remove', 'n1', 'later']);
  });

  it("shows the node's conditions on its console page", async () => {
    const s = stack();
    const browser = await launchChromium();
    try {
      const page = browser.page;
      // The next step's code (the server takes ±1 step): the CLI's login may have used this one.
      await page.goto(s.url + '/');
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Authenticator code').fill(await totpCode(s.totpSecret, 30));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Nodes' }).waitFor({ timeout: 20_000 });
      await page.goto(`${s.url}/#/nodes/${s.node.id}`);
      await page.getByRole('heading', { level: 2, name: 'Conditions' }).waitFor({ timeout: 20_000 });
      const row = page.getByRole('table', { name: 'Conditions' }).locator('tr[data-condition="errors"]');
      await row.locator('[data-state="firing"]').waitFor({ timeout: 20_000 });
      assert.match(await row.innerText(), /node operator[\s\S]*matching line\(s\)/);
    } finally {
      await browser.close();
    }
  });

  it("lets an administrator add log rules only where the node's operator allows files", async () => {
    const s = stack();
    const logs = join(s.dir, 'logs');
    await mkdir(logs, { recursive: true });
    await appendFile(join(logs, 'app.log'), '');
    await burrowOk(['node', 'files', 'allow', logs, '--home', s.node.home]);
    await s.admin(['node', 'condition', 'add', 'n1', 'fatal', '--log', join(logs, 'app.log'), '--pattern', 'FATAL', '--every', '1s']);
    await s.admin(['node', 'condition', 'add', 'n1', 'outside', '--log', join(s.node.home, 'node.json'), '--pattern', 'sshHostKey']);
    const refused = await waitFor('the node to judge both rules', async () => {
      const states = (await conditions('n1')).states;
      const fatal = states.find((x) => x.name === 'fatal');
      const outside = states.find((x) => x.name === 'outside');
      return fatal?.state === 'ok' && outside?.state === 'refused' ? outside : undefined;
    }, { timeoutMs: 20_000 });
    assert.equal(refused.origin, 'admin');
    assert.match(refused.detail, /not in a directory this node allows/);
    const command = await runBurrow(['admin', 'node', 'condition', 'add', 'n1', 'x', '--command', '--home', s.adminHome, '--', '/bin/true']);
    assert.notEqual(command.code, 0, 'administrators have no command rules');
    const listed = await s.adminJson<{ rule: { name: string } }[]>(['node', 'condition', 'list', 'n1']);
    assert.deepEqual(listed.map((r) => r.rule.name), ['fatal', 'outside']);
    await s.admin(['node', 'condition', 'remove', 'n1', 'outside']);
    await waitFor('the removed rule to leave the node', async () => ((await conditions('n1')).states.some((x) => x.name === 'outside') ? undefined : true), { timeoutMs: 20_000 });
    const audit = await s.adminJson<{ detail: { rule?: { name?: string } } | null }[]>(['audit', '--action', 'node.condition.add']);
    assert.deepEqual(audit.map((e) => e.detail?.rule?.name).filter((n) => n === 'fatal' || n === 'outside').sort(), ['fatal', 'outside'], 'each addition is audited');
  });

  it('makes an on-demand node connect outside its window when a rule fires, then sleep again', async () => {
    const s = stack();
    const token = await s.enrollToken({ autoApprove: true });
    const n2 = await s.enrollNode('n2', token);
    const log = join(s.dir, 'n2.log');
    await writeFile(log, '');
    await burrowOk(['node', 'mode', 'on-demand', '--window', farWindow(), '--tz', 'UTC', '--interval', '30m', '--duration', '3s', '--home', n2.home]);
    await burrowOk(['node', 'conditions', 'add', 'panic', '--log', log, '--pattern', 'PANIC', '--every', '1s', '--home', n2.home]);
    s.runAgent(n2);
    const connect = async () => (await burrowJson<{ connect: string | null }>(['node', 'status', '--json', '--home', n2.home])).connect;
    await waitFor('the agent to sleep', async () => ((await connect()) === 'sleeping' ? true : undefined), { timeoutMs: 20_000 });
    assert.equal((await conditions('n2')).states.length, 0, 'nothing reported while away');
    await appendFile(log, 'PANIC in the pump controller\n');
    const firing = await waitFor('the firing state to reach the server', async () => {
      const st = await stateOf('n2', 'panic');
      return st?.state === 'firing' ? st : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal(firing.value, 1);
    await waitFor('the condition alert for n2', () => hooks.some((h) => h.event === 'condition.firing' && h.node?.name === 'n2'), { timeoutMs: 20_000 });
    await s.waitOnline(n2.id, false, 30_000);
    assert.equal(await connect(), 'sleeping', 'back to its schedule after the check-in');
  });
});
