import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FakeClock } from '../../shared/clock.js';
import { PROOF_PREFIX } from '../../shared/tcpSessionProof.js';
import { MAX_PROOF_BYTES, readProof, TcpTickets, TICKET_TTL_MS } from './tcpProof.js';

/** Lets pending stream events and promise callbacks run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('TcpTickets', () => {
  it('admits a ticket once, and refuses a wrong, a spent and an expired one', () => {
    const clock = new FakeClock(1_000);
    const tickets = new TcpTickets(clock);
    const a = tickets.issue();
    const b = tickets.issue();
    assert.equal(a.expiresAt, 1_000 + TICKET_TTL_MS);
    assert.notEqual(a.ticket, b.ticket);
    assert.equal(tickets.redeem('x'.repeat(43)), false, 'a ticket never issued');
    assert.equal(tickets.redeem(a.ticket), true);
    assert.equal(tickets.redeem(a.ticket), false, 'a replayed ticket');
    clock.advance(TICKET_TTL_MS);
    assert.equal(tickets.redeem(b.ticket), false, 'an expired ticket');
  });

  it('refuses every ticket after the session closed, even one never used', () => {
    const tickets = new TcpTickets(new FakeClock());
    const { ticket } = tickets.issue();
    tickets.close();
    assert.equal(tickets.redeem(ticket), false);
    assert.throws(() => tickets.issue());
  });

  it('keeps a bounded number of outstanding tickets, dropping the oldest', () => {
    const tickets = new TcpTickets(new FakeClock());
    const first = tickets.issue();
    const rest = Array.from({ length: 40 }, () => tickets.issue());
    assert.equal(tickets.redeem(first.ticket), false);
    assert.equal(tickets.redeem(rest[rest.length - 1]?.ticket ?? ''), true);
  });
});

describe('readProof', () => {
  it('reads the ticket line and leaves the bytes after it on the stream', async () => {
    const clock = new FakeClock();
    const s = new PassThrough();
    const proof = readProof(s, clock, 10_000);
    s.write(`${PROOF_PREFIX}abc`);
    s.write('def\nSSH-2.0-x\r\n');
    assert.deepEqual(await proof, { kind: 'ticket', ticket: 'abcdef' });
    assert.equal(clock.pending, 0, 'the deadline is cleared');
    assert.equal((s.read() as Buffer).toString(), 'SSH-2.0-x\r\n');
  });

  it('cuts off a slow or partial proof at the deadline of the injected clock', async () => {
    const clock = new FakeClock();
    const s = new PassThrough();
    let result: unknown;
    void readProof(s, clock, 10_000).then((r) => (result = r));
    s.write(PROOF_PREFIX);
    await tick();
    clock.advance(9_999);
    await tick();
    assert.equal(result, undefined, 'still waiting just before the deadline');
    clock.advance(1);
    await tick();
    assert.deepEqual(result, { kind: 'refused', reason: 'proof timed out' });
  });

  it('refuses a line without the proof prefix, an overlong line and a close before the newline', async () => {
    const wrong = new PassThrough();
    const p1 = readProof(wrong, new FakeClock(), 10_000);
    wrong.write('SSH-2.0-OpenSSH_9.2\r\n');
    assert.deepEqual(await p1, { kind: 'refused', reason: 'no proof' });

    const long = new PassThrough();
    const p2 = readProof(long, new FakeClock(), 10_000);
    long.write(PROOF_PREFIX + 'a'.repeat(MAX_PROOF_BYTES));
    assert.deepEqual(await p2, { kind: 'refused', reason: 'proof too long' });

    const cut = new PassThrough();
    const p3 = readProof(cut, new FakeClock(), 10_000);
    cut.end(PROOF_PREFIX + 'abc');
    cut.resume();
    assert.deepEqual(await p3, { kind: 'refused', reason: 'closed before proof' });
  });
});
