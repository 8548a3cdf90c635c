import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { AlertDeliveryView, AlertMessage } from '../src/shared/alerts.js';
import { signatureOf } from '../src/server/alerts/webhookSender.js';
import { selfSignedCertificate } from '../src/server/tlsCertificate.js';
import { stackSuite } from './harness/stackSuite.js';
import { waitFor } from './harness/waitFor.js';

const SECRET = 'e2e-webhook-secret-0123456789';

// Issue 22: a node's agent is killed; the operator's webhook and mailbox each get one
// offline alert (not one per check or reconnect attempt), and one recovery when it is back.
describe('alerts when a node goes offline and comes back', () => {
  const stack = stackSuite({ serverConfig: { alertPrivateTargets: true, alertPollMs: 500 } });
  const hooks: { body: string; signature: string }[] = [];
  const mails: { data: string; user: unknown; secure: boolean }[] = [];
  const webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ body, signature: String(req.headers['x-burrow-signature']) });
      res.writeHead(204).end();
    });
  });
  let smtp: SMTPServer;
  let cert = '';

  before(async () => {
    const pair = await selfSignedCertificate(['localhost']);
    cert = pair.cert;
    smtp = new SMTPServer({
      secure: false,
      key: pair.key,
      cert: pair.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (auth, _session, cb) => (auth.username === 'alerts' && auth.password === 'mail-password' ? cb(null, { user: 'alerts' }) : cb(new Error('bad credentials'))),
      onData: (stream, session, cb) => {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          mails.push({ data, user: session.user, secure: session.secure });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    webhook.closeAllConnections();
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('sends one webhook and one mail for the outage, and one of each for the recovery', async () => {
    const s = stack();
    const files = { secret: join(s.dir, 'hook-secret'), password: join(s.dir, 'smtp-password'), ca: join(s.dir, 'smtp-ca.pem') };
    await writeFile(files.secret, `${SECRET}\n`);
    await writeFile(files.password, 'mail-password\n');
    await writeFile(files.ca, cert);
    const hookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/burrow`;
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    await s.admin(['alerts', 'channels', 'add', 'ops-hook', '--group', 'root', '--webhook', hookUrl, '--secret-file', files.secret]);
    await s.admin(['alerts', 'channels', 'add', 'ops-mail', '--group', 'root', '--smtp', `localhost:${smtpPort}`, '--from', 'burrow@example.com', '--to', 'ops@example.com', '--smtp-user', 'alerts', '--smtp-password-file', files.password, '--ca-file', files.ca]);
    await s.admin(['alerts', 'rules', 'add', 'offline', '--group', 'root', '--kind', 'node.offline', '--after', '2s', '--channel', 'ops-hook', '--channel', 'ops-mail']);
    await s.admin(['alerts', 'rules', 'add', 'back', '--group', 'root', '--kind', 'node.online', '--channel', 'ops-hook', '--channel', 'ops-mail']);
    const channels = await s.adminJson<{ settings: Record<string, unknown> }[]>(['alerts', 'channels', 'list']);
    assert.doesNotMatch(JSON.stringify(channels), /mail-password|e2e-webhook-secret/, 'secrets are never shown back');

    const agent = s.node.agent;
    assert.ok(agent);
    await s.procs.kill(agent);
    await s.waitOnline(s.node.id, false, 40_000);
    await waitFor('the offline webhook and mail', () => hooks.length >= 1 && mails.length >= 1, { timeoutMs: 30_000 });

    s.runAgent(s.node);
    await s.waitOnline(s.node.id, true, 30_000);
    await waitFor('the recovery webhook and mail', () => hooks.length >= 2 && mails.length >= 2, { timeoutMs: 30_000 });
    // Every delivery is logged; once all four are done, nothing else was sent.
    const log = await waitFor('four finished deliveries', async () => {
      const rows = await s.adminJson<AlertDeliveryView[]>(['alerts', 'deliveries']);
      return rows.length === 4 && rows.every((r) => r.status === 'delivered') ? rows : undefined;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(log.map((r) => r.event).sort(), ['node.offline', 'node.offline', 'node.online', 'node.online']);

    const events = hooks.map((h) => (JSON.parse(h.body) as AlertMessage).event);
    assert.deepEqual(events, ['node.offline', 'node.online'], 'one webhook per incident and one per recovery');
    for (const h of hooks) {
      const t = Number(/^t=(\d+),/.exec(h.signature)?.[1]);
      assert.equal(h.signature, signatureOf(SECRET, t, h.body), 'signed with the channel secret');
    }
    assert.equal(mails.length, 2);
    assert.match(mails[0]?.data ?? '', /Subject: \[burrow\] Node n1 is offline/);
    assert.match(mails[1]?.data ?? '', /Subject: \[burrow\] Node n1 is back online/);
    assert.ok(mails.every((m) => m.secure && m.user === 'alerts'), 'over STARTTLS, authenticated');
    const audit = await s.adminJson<{ action: string; result: string }[]>(['audit', '--action', 'alert.deliver']);
    assert.equal(audit.filter((e) => e.result === 'ok').length, 4, 'every delivery attempt is audited');
  });
});
