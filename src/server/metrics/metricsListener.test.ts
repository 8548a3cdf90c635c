import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createLogger } from '../../shared/log.js';
import { listenForMetrics, type MetricsListener } from './metricsListener.js';
import { ServerMetrics } from './serverMetrics.js';

/** GET /metrics on the listener with a Host header of our choosing, as a rebinding page's browser would send. */
function scrape(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

describe('metrics listener', () => {
  let listener: MetricsListener;
  before(async () => {
    listener = await listenForMetrics('127.0.0.1:0', new ServerMetrics(), createLogger({ level: 'silent', name: 'test' }));
  });
  after(() => listener.close());

  it('answers a scrape addressed to its IP address', async () => {
    assert.equal(await scrape(listener.port, `127.0.0.1:${listener.port}`), 200);
    assert.equal(await scrape(listener.port, '127.0.0.1'), 200);
    assert.equal(await scrape(listener.port, `[::1]:${listener.port}`), 200);
  });

  it('refuses a request addressed to a host name: a DNS-rebinding page in a browser on this machine reads nothing', async () => {
    assert.equal(await scrape(listener.port, `rebind.attacker.example:${listener.port}`), 421);
    assert.equal(await scrape(listener.port, 'localhost'), 421);
  });
});
