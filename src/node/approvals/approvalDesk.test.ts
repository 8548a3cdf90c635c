import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientChannel, TcpConnectionDetails } from 'ssh2';
import { FakeClock } from '../../shared/clock.js';
import { silentLogger } from '../../shared/log.js';
import { approvalOrigin, type ApprovalDecision, type ApprovalPolicy, type ApprovalRequest } from '../../shared/approvalProtocol.js';
import { ServiceForwarder } from '../serviceForwarder.js';
import { ApprovalDesk, MAX_WAITING } from './approvalDesk.js';
import type { ApprovalJournalEntry } from './approvalJournal.js';

const HOUR = 3_600_000;

function setup(policy: ApprovalPolicy = { enabled: true, timeoutMs: 300_000 }) {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const sent: ApprovalDecision[] = [];
  const journal: ApprovalJournalEntry[] = [];
  const desk = new ApprovalDesk({ clock, log: silentLogger(), policy: () => policy, journal: (e) => journal.push(e), send: (d) => (sent.push(d), true) });
  const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
    id: 'apr_session0001', kind: 'session', service: 'webui', subject: 'ses_1', user: 'ops@example.com', from: '192.0.2.7', what: 'a WebUI session',
    validUntil: new Date(clock.now() + HOUR).toISOString(), ...over,
  });
  return { clock, sent, journal, desk, request, policy };
}

describe('ApprovalDesk', () => {
  it('holds a request until a person decides, and grants channels only after approval', () => {
    const { desk, sent, request, journal } = setup();
    desk.receive(request());
    assert.equal(desk.list().length, 1);
    assert.deepEqual(desk.admit('webui', 'apr_session0001'), { ok: false, reason: 'approval apr_session0001 was not granted on this node' });
    const r = desk.decide('apr_session0001', true, 'alice', 'expected');
    assert.equal(r.ok, true);
    assert.deepEqual(sent, [{ id: 'apr_session0001', outcome: 'approved', by: 'alice', reason: 'expected' }]);
    assert.equal(desk.list().length, 0);
    // A session's grant admits its many channels, not just one.
    assert.deepEqual(desk.admit('webui', 'apr_session0001'), { ok: true, subject: 'ses_1', what: 'a WebUI session' });
    assert.deepEqual(desk.admit('webui', 'apr_session0001'), { ok: true, subject: 'ses_1', what: 'a WebUI session' });
    assert.deepEqual(journal.map((e) => e.event), ['requested', 'approved']);
  });

  it('denies a request nobody decides within the timeout, with the reason "timed out"', () => {
    const { desk, sent, request, clock } = setup({ enabled: true, timeoutMs: 60_000 });
    desk.receive(request());
    clock.advance(59_999);
    assert.equal(sent.length, 0);
    assert.equal(desk.list()[0]?.timeLeftMs, 1);
    clock.advance(1);
    assert.deepEqual(sent, [{ id: 'apr_session0001', outcome: 'timed-out', by: 'timeout', reason: 'timed out' }]);
    assert.equal(desk.decide('apr_session0001', true, 'alice', '').ok, false, 'too late to approve');
    assert.equal(desk.admit('webui', 'apr_session0001').ok, false);
  });

  it('binds a grant to its one request: another service, another shell or another job is refused', () => {
    const { desk, request } = setup();
    desk.receive(request());
    desk.decide('apr_session0001', true, 'alice', '');
    assert.equal(desk.admit('ssh', 'apr_session0001').ok, false, 'a session grant for webui does not open ssh');
    assert.equal(desk.admit('shell', 'apr_session0001').ok, false, 'nor the shell');
    desk.receive(request({ id: 'apr_shell000001', kind: 'shell', service: 'shell', subject: 'trm_1' }));
    desk.decide('apr_shell000001', true, 'alice', '');
    assert.equal(desk.admit('shell', 'apr_shell000001').ok, true);
    assert.equal(desk.admit('shell', 'apr_shell000001').ok, false, 'one shell per grant');
    desk.receive(request({ id: 'apr_job00000001', kind: 'job', service: 'jobs', subject: 'job_1' }));
    desk.decide('apr_job00000001', true, 'alice', '');
    assert.deepEqual(desk.admit('jobs', 'apr_job00000001'), { ok: true, subject: 'job_1', what: 'a WebUI session' });
    assert.equal(desk.admit('jobs', 'apr_job00000001').ok, false, 'one job per grant');
  });

  it('refuses a request whose kind and service disagree (a "session" to the shell)', () => {
    const { desk, sent, request } = setup();
    desk.receive(request({ id: 'apr_sneaky00001', kind: 'session', service: 'shell' }));
    desk.receive(request({ id: 'apr_sneaky00002', kind: 'shell', service: 'webui' }));
    assert.deepEqual(sent.map((d) => d.outcome), ['denied', 'denied']);
    assert.equal(desk.list().length, 0);
    assert.equal(desk.admit('shell', 'apr_sneaky00001').ok, false);
  });

  it('ends a grant when its session ends or its validity runs out', () => {
    const { desk, request, clock } = setup();
    desk.receive(request());
    desk.decide('apr_session0001', true, 'alice', '');
    desk.withdraw('apr_session0001', 'the session closed');
    assert.equal(desk.admit('webui', 'apr_session0001').ok, false);
    desk.receive(request({ id: 'apr_session0002' }));
    desk.decide('apr_session0002', true, 'alice', '');
    clock.advance(HOUR);
    assert.deepEqual(desk.admit('webui', 'apr_session0002'), { ok: false, reason: 'approval apr_session0002 has expired' });
  });

  it('caps a grant at a day, whatever validity the server claims', () => {
    const { desk, request, clock } = setup();
    desk.receive(request({ validUntil: new Date(clock.now() + 365 * 24 * HOUR).toISOString() }));
    desk.decide('apr_session0001', true, 'alice', '');
    clock.advance(24 * HOUR);
    assert.equal(desk.admit('webui', 'apr_session0001').ok, false);
  });

  it('withdraws what waits when the tunnel goes down; a withdrawn request cannot be approved', () => {
    const { desk, request, journal, sent } = setup();
    desk.receive(request());
    desk.withdrawAll('the node disconnected');
    assert.equal(desk.list().length, 0);
    assert.equal(desk.decide('apr_session0001', true, 'alice', '').ok, false);
    assert.equal(sent.length, 0);
    assert.deepEqual(journal.map((e) => e.event), ['requested', 'withdrawn']);
  });

  it('refuses, in a clear sentence, to approve a request the server withdrew (a cancelled job)', () => {
    const { desk, request, journal, sent } = setup();
    desk.receive(request({ id: 'apr_job00000009', kind: 'job', service: 'jobs', subject: 'job_9' }));
    desk.withdraw('apr_job00000009', 'the job was cancelled');
    assert.deepEqual(desk.list(), []);
    const r = desk.decide('apr_job00000009', true, 'alice', '');
    assert.deepEqual(r, { ok: false, reason: 'Request apr_job00000009 was withdrawn by the server (the job was cancelled): there is nothing left to approve.' });
    assert.equal(desk.admit('jobs', 'apr_job00000009').ok, false);
    assert.equal(sent.length, 0);
    assert.deepEqual(journal.at(-1), { at: journal.at(-1)?.at, event: 'withdrawn', id: 'apr_job00000009', reason: 'the job was cancelled' });
  });

  it('admits every channel and approves at once when the policy is off', () => {
    const { desk, sent, request } = setup({ enabled: false, timeoutMs: 300_000 });
    assert.deepEqual(desk.admit('webui', undefined), { ok: true });
    desk.receive(request());
    assert.equal(sent[0]?.outcome, 'approved');
    assert.equal(sent[0]?.by, 'policy');
  });

  it('bounds what waits: a server flooding the node with requests gets the excess denied', () => {
    const { desk, sent, request } = setup();
    for (let i = 0; i < MAX_WAITING + 5; i++) desk.receive(request({ id: `apr_flood${String(i).padStart(6, '0')}` }));
    assert.equal(desk.list().length, MAX_WAITING);
    assert.equal(sent.length, 5);
    assert.ok(sent.every((d) => d.outcome === 'denied' && /too many/.test(d.reason)));
  });

  it('keeps no grant approved by policy: once approval is turned on, a grant minted while it was off opens nothing', () => {
    const policy: ApprovalPolicy = { enabled: false, timeoutMs: 300_000 };
    const { desk, sent, request } = setup(policy);
    // A hostile server stockpiles requests while the policy is off...
    desk.receive(request({ id: 'apr_shell000001', kind: 'shell', service: 'shell', subject: 'trm_1' }));
    desk.receive(request());
    assert.deepEqual(sent.map((d) => d.outcome), ['approved', 'approved']);
    // ...the operator turns approval on: nobody on site approved these.
    policy.enabled = true;
    assert.equal(desk.admit('shell', 'apr_shell000001').ok, false);
    assert.equal(desk.admit('webui', 'apr_session0001').ok, false);
    // Nor can the same id be replayed into a grant: it is asked for again, and waits.
    desk.receive(request());
    assert.equal(desk.list().length, 1);
  });
});

describe('ServiceForwarder under customer approval', () => {
  const info = (destIP: string, srcIP: string): TcpConnectionDetails => ({ destIP, destPort: 1, srcIP, srcPort: 5 });
  const attempt = (f: ServiceForwarder, destIP: string, srcIP: string) => {
    let accepted = false;
    let rejected = false;
    const channel = { on: () => channel } as unknown as ClientChannel;
    f.handle(info(destIP, srcIP), () => {
      accepted = true;
      return channel;
    }, () => {
      rejected = true;
    });
    return { accepted, rejected };
  };

  it('refuses channels a hostile server opens without a grant, with a forged grant id, or under a grant for something else', () => {
    const { desk, request } = setup();
    const ran: (string | undefined)[] = [];
    const f = new ServiceForwarder({ webui: '127.0.0.1:9' }, silentLogger(), { shell: (_c, subject) => ran.push(subject) }, undefined, (s, g) => desk.admit(s, g));
    assert.equal(attempt(f, 'shell', '127.0.0.1').rejected, true, 'no grant named');
    assert.equal(attempt(f, 'shell', approvalOrigin('apr_forged00001', '127.0.0.1')).rejected, true, 'a grant id the node never granted');
    desk.receive(request());
    assert.equal(attempt(f, 'shell', approvalOrigin('apr_session0001', '127.0.0.1')).rejected, true, 'a request still waiting grants nothing');
    desk.decide('apr_session0001', true, 'alice', '');
    assert.equal(attempt(f, 'shell', approvalOrigin('apr_session0001', '127.0.0.1')).rejected, true, "the webui session's grant does not open the shell");
    desk.receive(request({ id: 'apr_shell000001', kind: 'shell', service: 'shell', subject: 'trm_9' }));
    desk.decide('apr_shell000001', true, 'alice', '');
    assert.equal(attempt(f, 'shell', approvalOrigin('apr_shell000001', '127.0.0.1')).accepted, true);
    assert.deepEqual(ran, ['trm_9']);
    assert.equal(attempt(f, 'shell', approvalOrigin('apr_shell000001', '127.0.0.1')).rejected, true, 'a spent grant');
  });
});
