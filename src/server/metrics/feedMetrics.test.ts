import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { FakeClock } from '../../shared/clock.js';
import type { SessionView } from '../../shared/protocol.js';
import type { NodeConnection } from '../gateway/nodeConnection.js';
import { NodeRegistry } from '../gateway/nodeRegistry.js';
import type { Queryable } from '../store/database.js';
import { feedMetrics } from './feedMetrics.js';
import { ServerMetrics, signInOf } from './serverMetrics.js';

/** A stand-in for a node's connection: what the registry uses of it. */
class FakeConn extends EventEmitter {
  closedByServer = false;
  constructor(readonly nodeId: string) {
    super();
  }
  close(): void {
    this.closedByServer = true;
    this.emit('close');
  }
  /** The link ended by itself (the node went away). */
  drop(): void {
    this.emit('close');
  }
}

/** A store that answers the two scrape-time queries. */
const store = {
  all: async (sql: string) => {
    if (sql.includes('FROM nodes')) return [{ id: 'n1', mode: 'always-on' }, { id: 'n2', mode: 'on-demand' }, { id: 'n3', mode: 'on-demand' }, { id: 'n4', mode: 'always-on' }];
    if (sql.includes('FROM job_targets')) return [{ status: 'pending', n: 2 }, { status: 'ok', n: 5 }];
    throw new Error(`unexpected ${sql}`);
  },
} as unknown as Queryable;

/** One sample's value from the registry, by metric name and labels. */
async function value(m: ServerMetrics, name: string, labels: Record<string, string> = {}, suffix = ''): Promise<number | undefined> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (metric as unknown as { values: { value: number; labels: Record<string, string>; metricName?: string }[] } | undefined)?.values ?? [];
  return values.find((v) => (v.metricName ?? name) === name + suffix && Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value;
}

const view = (id: string, openedAtMs: number, extra: Partial<SessionView> = {}): SessionView => ({
  id, nodeId: 'n1', service: 'webui', type: 'http', port: 40001, url: '', state: 'open',
  openedAt: new Date(openedAtMs).toISOString(), expiresAt: new Date(openedAtMs + 1000).toISOString(), closedAt: null, closeReason: null, ...extra,
});

describe('server metrics', () => {
  it('counts tunnels by what ended them and nodes connected by mode', async () => {
    const m = new ServerMetrics();
    const registry = new NodeRegistry();
    const stop = feedMetrics(m, { registry, sessions: new EventEmitter(), store, clock: new FakeClock() });
    const [a, a2, b, c] = [new FakeConn('n1'), new FakeConn('n1'), new FakeConn('n2'), new FakeConn('n3')];
    for (const conn of [a, b, c]) registry.add(conn as unknown as NodeConnection);
    registry.add(a2 as unknown as NodeConnection);
    b.close();
    assert.equal(await value(m, 'burrow_tunnel_connects_total'), 4);
    assert.deepEqual(await value(m, 'burrow_nodes_connected', { mode: 'always-on' }), 1);
    assert.deepEqual(await value(m, 'burrow_nodes_connected', { mode: 'on-demand' }), 1);
    c.drop();
    assert.equal(await value(m, 'burrow_tunnel_disconnects_total', { reason: 'replaced' }), 1);
    assert.equal(await value(m, 'burrow_tunnel_disconnects_total', { reason: 'server' }), 1);
    assert.equal(await value(m, 'burrow_tunnel_disconnects_total', { reason: 'link' }), 1);
    assert.deepEqual(await value(m, 'burrow_nodes_connected', { mode: 'on-demand' }), 0);
    m.tunnelRefused('wrong-key');
    m.tunnelRefused('wrong-key');
    m.tunnelRefused('busy');
    assert.equal(await value(m, 'burrow_tunnel_refusals_total', { reason: 'wrong-key' }), 2);
    assert.equal(await value(m, 'burrow_tunnel_refusals_total', { reason: 'busy' }), 1);
    stop();
    registry.add(new FakeConn('n4') as unknown as NodeConnection);
    assert.equal(await value(m, 'burrow_tunnel_connects_total'), 4, 'stopped listening');
  });

  it('counts sessions open, opened, closed by a bounded set of reasons, bytes and open latency', async () => {
    const m = new ServerMetrics();
    const clock = new FakeClock(1_000_000);
    const sessions = new EventEmitter();
    feedMetrics(m, { registry: new NodeRegistry(), sessions, store, clock });
    clock.advance(40);
    sessions.emit('opened', view('ses_1', 1_000_000));
    sessions.emit('opened', view('ses_2', 1_000_040, { type: 'tcp' }));
    assert.equal(await value(m, 'burrow_sessions_open'), 2);
    assert.equal(await value(m, 'burrow_session_open_seconds', {}, '_count'), 2);
    assert.equal(await value(m, 'burrow_session_open_seconds', {}, '_sum'), 0.04);
    assert.equal(await value(m, 'burrow_session_open_seconds', { le: '0.025' }, '_bucket'), 1);
    sessions.emit('closed', view('ses_1', 0, { state: 'closed', closeReason: 'idle' }), 'grp', { bytesUp: 100, bytesDown: 2000 });
    // Closed while still opening: never counted open, so the gauge does not go below what is open.
    sessions.emit('closed', view('ses_3', 0, { state: 'closed', closeReason: 'user-42-did-it' }), 'grp', { bytesUp: 0, bytesDown: 0 });
    assert.equal(await value(m, 'burrow_sessions_open'), 1);
    assert.equal(await value(m, 'burrow_sessions_opened_total', { type: 'tcp' }), 1);
    assert.equal(await value(m, 'burrow_sessions_closed_total', { reason: 'idle' }), 1);
    assert.equal(await value(m, 'burrow_sessions_closed_total', { reason: 'other' }), 1, 'an unknown reason is not a label value');
    assert.equal(await value(m, 'burrow_session_relayed_bytes_total', { direction: 'down' }), 2000);
    assert.equal(await value(m, 'burrow_session_relayed_bytes_total', { direction: 'up' }), 100);
  });

  it('reads jobs by state from the store when scraped, every state present', async () => {
    const m = new ServerMetrics();
    feedMetrics(m, { registry: new NodeRegistry(), sessions: new EventEmitter(), store, clock: new FakeClock() });
    assert.equal(await value(m, 'burrow_jobs', { state: 'pending' }), 2);
    assert.equal(await value(m, 'burrow_jobs', { state: 'ok' }), 5);
    assert.equal(await value(m, 'burrow_jobs', { state: 'running' }), 0);
    const text = await m.scrape();
    assert.match(text, /^burrow_jobs\{state="failed"\} 0$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m, 'process metrics');
    assert.match(text, /^nodejs_eventloop_lag_seconds /m, 'event-loop lag');
    assert.doesNotMatch(text, /^# TYPE \w+_total (gauge|histogram)$/m, 'promtool refuses non-counters named _total');
  });

  it('counts sign-ins by route and status: the CLI login and the console\'s two steps', async () => {
    assert.deepEqual(signInOf('POST', '/v1/auth/login', 200), { via: 'cli', result: 'ok' });
    assert.deepEqual(signInOf('POST', '/v1/auth/login', 401), { via: 'cli', result: 'denied' });
    assert.deepEqual(signInOf('POST', '/v1/auth/login', 429), { via: 'cli', result: 'throttled' });
    assert.deepEqual(signInOf('POST', '/v1/auth/console/password', 401), { via: 'console', result: 'denied' });
    assert.equal(signInOf('POST', '/v1/auth/console/password', 200), undefined, 'half a sign-in');
    assert.deepEqual(signInOf('POST', '/v1/auth/console/totp', 204), { via: 'console', result: 'ok' });
    assert.deepEqual(signInOf('POST', '/v1/auth/console/totp', 500), { via: 'console', result: 'error' });
    assert.equal(signInOf('GET', '/v1/auth/login', 405), undefined);
    assert.equal(signInOf('POST', '/v1/nodes', 200), undefined);
    const m = new ServerMetrics();
    m.requestAnswered('POST', '/v1/auth/login', 401);
    m.requestAnswered('POST', '/v1/auth/login', 200);
    m.requestAnswered('POST', '/v1/auth/login', 200);
    assert.equal(await value(m, 'burrow_sign_ins_total', { via: 'cli', result: 'ok' }), 2);
    assert.equal(await value(m, 'burrow_sign_ins_total', { via: 'cli', result: 'denied' }), 1);
    assert.equal(await value(m, 'burrow_http_requests_total', { method: 'POST', route: '/v1/auth/login', status: '200' }), 2);
  });
});
