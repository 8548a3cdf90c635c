import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { AlertMessage } from '../../shared/alerts.js';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { listAudit } from '../store/auditStore.js';
import { listAlertDeliveries } from '../store/alertDeliveryStore.js';
import type { AlertChannelRecord } from '../store/alertStore.js';
import { buildApiWorld, type ApiWorld } from '../testing/apiWorld.js';
import { selfSignedCertificate } from '../tlsCertificate.js';
import { AlertDelivery, channelSecretContext } from './alertDelivery.js';
import { TargetPolicy } from './targetPolicy.js';
import { signatureOf } from './webhookSender.js';

const START = Date.UTC(2026, 0, 1);
const SECRET = 'a-webhook-secret-of-some-length';
const message: AlertMessage = { id: 'alm_1', event: 'node.offline', summary: 'Node n1 is offline', group: 'custA', rule: { id: 'alr_1', name: 'offline' }, node: { id: 'nodeA', name: 'n1' }, at: new Date(START).toISOString(), detail: {} };

/** A webhook receiver that answers each request with the next status of `answers` (then 200). */
class Receiver {
  readonly requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  answers: number[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body });
      const status = this.answers.shift() ?? 200;
      res.writeHead(status, status === 302 ? { location: 'http://169.254.169.254/latest/meta-data/' } : {}).end();
    });
  });
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('alert delivery', () => {
  let world: ApiWorld;
  let clock: FakeClock;
  let receiver: Receiver;
  const delivery = (o: { allowPrivate?: boolean; maxAttempts?: number } = {}) =>
    new AlertDelivery({ db: world.deps.db, box: world.deps.box, clock, log: silentLogger(), policy: new TargetPolicy(o.allowPrivate ?? true), maxAttempts: o.maxAttempts ?? 4, retry: { initialMs: 1_000, maxMs: 4_000 }, random: () => 0.5 });
  const webhook = (url: string): AlertChannelRecord => ({ id: 'alc_hook', groupId: 'custA', name: 'hook', kind: 'webhook', config: { url }, secretSealed: world.deps.box.seal(SECRET, channelSecretContext('alc_hook')), createdBy: null, createdAt: START });
  const rows = () => listAlertDeliveries(world.deps.db, ['custA'], 10);
  /** Lets a retry timer fire and its HTTP request finish. */
  const retry = async (d: AlertDelivery, ms: number, count: number) => {
    clock.advance(ms);
    const until = Date.now() + 10_000;
    while (receiver.requests.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await d.idle();
  };

  before(async () => {
    receiver = new Receiver();
    await receiver.listen();
  });
  after(() => receiver.close());
  beforeEach(async () => {
    clock = new FakeClock(START);
    world = await buildApiWorld({ clock });
    receiver.requests.length = 0;
    receiver.answers = [];
  });
  afterEach(() => world.close());

  it('posts a signed JSON body, retries with backoff after a failure, and logs each attempt', async () => {
    receiver.answers = [500];
    const d = delivery();
    const first = await d.deliver(webhook(receiver.url), message, 'alr_1', 'nodeA');
    assert.equal(first.status, 'pending');
    assert.match(first.error ?? '', /HTTP 500/);
    await retry(d, 1_000, 2);
    assert.equal(receiver.requests.length, 2);
    const req = receiver.requests[1];
    assert.ok(req);
    assert.deepEqual(JSON.parse(req.body), message);
    const t = Math.floor(START / 1000) + 1;
    assert.equal(req.headers['x-burrow-signature'], signatureOf(SECRET, t, req.body), 'HMAC-SHA256 over "t.body" with the channel secret');
    assert.equal(req.headers['x-burrow-delivery'], first.deliveryId, 'retries carry the same delivery id, for receivers to deduplicate');
    const [row] = await rows();
    assert.equal(row?.status, 'delivered');
    assert.equal(row?.attempts, 2);
    const audit = (await listAudit(world.deps.db, { action: 'alert.deliver' })).map((e) => e.result);
    assert.deepEqual(audit.sort(), ['failed', 'ok']);
    await d.close();
  });

  it('gives up after the last attempt, with the error kept', async () => {
    receiver.answers = [503, 503, 503];
    const d = delivery({ maxAttempts: 3 });
    await d.deliver(webhook(receiver.url), message, null, null);
    await retry(d, 1_000, 2);
    await retry(d, 2_000, 3);
    clock.advance(60_000);
    const [row] = await rows();
    assert.equal(row?.status, 'failed');
    assert.equal(row?.attempts, 3);
    assert.match(row?.lastError ?? '', /HTTP 503/);
    assert.equal(receiver.requests.length, 3);
    await d.close();
  });

  it('refuses private addresses unless allowed, and never follows a redirect', async () => {
    const refused = await delivery({ allowPrivate: false }).deliver(webhook(receiver.url), message, null, null, { attempts: 1 });
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /private, loopback or link-local/);
    assert.equal(receiver.requests.length, 0, 'no connection was made');
    receiver.answers = [302];
    const redirected = await delivery().deliver(webhook(receiver.url), message, null, null, { attempts: 1 });
    assert.equal(redirected.status, 'failed');
    assert.match(redirected.error ?? '', /HTTP 302/);
    assert.equal(receiver.requests.length, 1);
  });

  it('refuses metadata, mapped and unspecified addresses even by name', async () => {
    const policy = new TargetPolicy(false, async (host) => (host === 'rebind.example' ? ['93.184.216.34', '169.254.169.254'] : ['93.184.216.34']));
    await assert.rejects(policy.addressOf('rebind.example'), /169\.254\.169\.254/);
    await assert.rejects(policy.addressOf('[::ffff:10.0.0.1]'), /private/);
    await assert.rejects(policy.addressOf('0.0.0.0'), /not a host address/);
    assert.equal(await policy.addressOf('ok.example'), '93.184.216.34');
  });

  // NAT64 gateways (cloud IPv6-only subnets) translate 64:ff9b::a.b.c.d to the IPv4 address inside, private ones included.
  it('refuses private IPv4 addresses embedded in NAT64 and translated forms, and IPv6 site-local ones', async () => {
    const policy = new TargetPolicy(false);
    for (const host of ['[64:ff9b::a9fe:a9fe]', '[64:ff9b::10.0.0.1]', '[64:ff9b:1::7f00:1]', '[::ffff:0:a9fe:a9fe]', '[fec0::1]']) {
      await assert.rejects(policy.addressOf(host), /private/, host);
    }
    assert.equal(await policy.addressOf('[64:ff9b::5db8:d822]'), '64:ff9b::5db8:d822', 'a public IPv4 address through NAT64 is fine');
  });

  describe('email', () => {
    let smtp: SMTPServer;
    let plainOnly: SMTPServer;
    let port = 0;
    let plainPort = 0;
    let cert = '';
    const mails: { from: string; to: string[]; data: string; user: string | undefined; secure: boolean }[] = [];
    let authAttempts = 0;

    /** A real SMTP server on loopback: STARTTLS with a self-signed certificate, AUTH only over TLS. */
    const startSmtp = async (pair: { cert: string; key: string }, withoutStartTls: boolean): Promise<[SMTPServer, number]> => {
      const server = new SMTPServer({
        secure: false,
        ...(withoutStartTls ? { disabledCommands: ['STARTTLS'] } : {}),
        key: pair.key,
        cert: pair.cert,
        authMethods: ['PLAIN', 'LOGIN'],
        allowInsecureAuth: true,
        onAuth: (auth, session, cb) => {
          authAttempts++;
          if (auth.username === 'alerts' && auth.password === 'smtp-password') return cb(null, { user: auth.username });
          return cb(new Error('bad credentials'));
        },
        onData: (stream, session, cb) => {
          let data = '';
          stream.on('data', (c: Buffer) => (data += c.toString()));
          stream.on('end', () => {
            mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user as string | undefined, secure: session.secure });
            cb();
          });
        },
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return [server, (server.server.address() as AddressInfo).port];
    };

    before(async () => {
      const pair = await selfSignedCertificate(['localhost']);
      cert = pair.cert;
      [smtp, port] = await startSmtp(pair, false);
      [plainOnly, plainPort] = await startSmtp(pair, true);
    });
    after(async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => plainOnly.close(() => resolve()));
    });

    const channel = (): AlertChannelRecord => ({ id: 'alc_mail', groupId: 'custA', name: 'mail', kind: 'email', config: { host: 'localhost', port, starttls: true, user: 'alerts', ca: cert, from: 'burrow@example.com', to: ['ops@example.com'] }, secretSealed: world.deps.box.seal('smtp-password', channelSecretContext('alc_mail')), createdBy: null, createdAt: START });

    it('sends over STARTTLS with authentication, the certificate checked against the given CA', async () => {
      mails.length = 0;
      const r = await delivery().deliver(channel(), message, 'alr_1', 'nodeA', { attempts: 1 });
      assert.equal(r.status, 'delivered', r.error ?? '');
      assert.equal(mails.length, 1);
      assert.equal(mails[0]?.user, 'alerts');
      assert.equal(mails[0]?.secure, true);
      assert.deepEqual(mails[0]?.to, ['ops@example.com']);
      assert.match(mails[0]?.data ?? '', /Subject: \[burrow\] Node n1 is offline/);
    });

    it('refuses to send, password included, when the server does not offer STARTTLS', async () => {
      mails.length = 0;
      authAttempts = 0;
      const r = await delivery().deliver({ ...channel(), config: { ...channel().config, port: plainPort } }, message, null, null, { attempts: 1 });
      assert.equal(r.status, 'failed');
      assert.match(r.error ?? '', /STARTTLS/i);
      assert.equal(mails.length, 0);
      assert.equal(authAttempts, 0, 'the password never crossed the wire in clear');
    });

    it('refuses a server whose certificate does not chain to the CA', async () => {
      const other = await selfSignedCertificate(['localhost']);
      const r = await delivery().deliver({ ...channel(), config: { ...channel().config, ca: other.cert } }, message, null, null, { attempts: 1 });
      assert.equal(r.status, 'failed');
      assert.match(r.error ?? '', /certificate|self.signed/i);
    });
  });
});
