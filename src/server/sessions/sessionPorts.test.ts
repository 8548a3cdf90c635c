import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { BurrowError } from '../../shared/errors.js';
import { listenOnRandomPort, randomCandidates } from './sessionPorts.js';

const HOST = '127.0.0.1';
const opened: Server[] = [];

/** A server tracked for closing after each test. */
function server(): Server {
  const s = createServer();
  opened.push(s);
  return s;
}

/** Holds `port` on HOST with a server of our own, as another process would. */
async function occupy(port: number): Promise<Server> {
  const s = server();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen({ port, host: HOST, exclusive: true }, resolve);
  });
  return s;
}

/** Whether `port` can be bound right now (checked with a short-lived server). */
async function isFree(port: number): Promise<boolean> {
  try {
    const s = await occupy(port);
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return true;
  } catch {
    return false;
  }
}

/** A port held by us whose next port up is free now. */
async function takenNextToFree(): Promise<{ taken: number; free: number }> {
  for (let tries = 0; tries < 20; tries++) {
    const held = await occupy(0);
    const taken = (held.address() as AddressInfo).port;
    if (taken < 65535 && (await isFree(taken + 1))) return { taken, free: taken + 1 };
  }
  throw new Error('test precondition: no free port next to an occupied one in 20 tries');
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
});

describe('randomCandidates', () => {
  it('returns distinct ports inside the range', () => {
    const ports = randomCandidates({ range: [47000, 47063], host: HOST });
    assert.equal(ports.length, 32);
    assert.equal(new Set(ports).size, ports.length);
    for (const p of ports) assert.ok(p >= 47000 && p <= 47063, `${p} in range`);
  });

  it('never returns a port in inUse', () => {
    const inUse = new Set<number>();
    for (let p = 47000; p <= 47063; p++) if (p % 4 !== 0) inUse.add(p);
    for (let round = 0; round < 50; round++) {
      for (const p of randomCandidates({ range: [47000, 47063], host: HOST, inUse })) {
        assert.ok(!inUse.has(p), `${p} is in use`);
        assert.ok(p >= 47000 && p <= 47063);
      }
    }
  });

  it('returns fewer (or no) candidates rather than spinning when the range is nearly full', () => {
    const inUse = new Set([47000, 47001, 47002]);
    const always = (): number => 47001;
    assert.deepEqual(randomCandidates({ range: [47000, 47002], host: HOST, inUse, randomInt: always }), []);
    assert.deepEqual(randomCandidates({ range: [47000, 47003], host: HOST, inUse, randomInt: (lo) => lo + 3 }), [47003]);
  });
});

describe('listenOnRandomPort', () => {
  it('binds the server to a port in the range', async () => {
    const s = server();
    const port = await listenOnRandomPort(s, { range: [47000, 47063], host: HOST });
    assert.ok(port >= 47000 && port <= 47063, `${port} in range`);
    const addr = s.address() as AddressInfo;
    assert.equal(addr.port, port);
    assert.equal(addr.address, HOST);
  });

  it('gives two servers two different ports', async () => {
    const a = await listenOnRandomPort(server(), { range: [47200, 47263], host: HOST });
    const b = await listenOnRandomPort(server(), { range: [47200, 47263], host: HOST, inUse: new Set([a]) });
    assert.notEqual(a, b);
  });

  it('moves on to a later batch when the first candidates are taken', async () => {
    // Two adjacent ports, so the range is just them: get-port falls back to any free OS
    // port when no candidate is free, and a wide range could take that fallback in.
    const { taken, free } = await takenNextToFree();
    let batch = 1;
    const batchesSeen = new Set<number>();
    // randomCandidates is synchronous, so a microtask queued on the first draw runs only
    // after the whole first batch is drawn and before the next batch starts.
    const randomInt = (): number => {
      if (batchesSeen.size === 0) queueMicrotask(() => (batch = 2));
      batchesSeen.add(batch);
      return batch === 1 ? taken : free;
    };
    const s = server();
    const port = await listenOnRandomPort(s, { range: [taken, free], host: HOST, randomInt });
    assert.equal(port, free);
    assert.deepEqual([...batchesSeen], [1, 2], 'the first batch was tried and refused');
    assert.equal((s.address() as AddressInfo).port, free);
  });

  it('throws PORT_RANGE_EXHAUSTED when every port of the range is taken', async () => {
    const only = ((await occupy(0)).address() as AddressInfo).port;
    let draws = 0;
    const s = server();
    await assert.rejects(
      listenOnRandomPort(s, { range: [only, only], host: HOST, attempts: 3, randomInt: (lo) => {
        draws++;
        return lo;
      } }),
      (err: unknown) => {
        assert.ok(err instanceof BurrowError, 'throws a BurrowError');
        assert.equal(err.code, 'PORT_RANGE_EXHAUSTED');
        assert.ok(err.message.includes(`${only}-${only}`));
        return true;
      },
    );
    assert.ok(draws >= 3, 'each of the 3 attempts drew candidates');
    assert.equal(s.listening, false);
  });

  it('gives up at once when inUse covers the whole range', async () => {
    const s = server();
    await assert.rejects(
      listenOnRandomPort(s, { range: [47400, 47401], host: HOST, inUse: new Set([47400, 47401]) }),
      (err: unknown) => err instanceof BurrowError && err.code === 'PORT_RANGE_EXHAUSTED',
    );
  });
});
