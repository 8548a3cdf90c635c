import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { capturedLog } from '../testing/capturedLog.js';
import { FakeClock } from '../../shared/clock.js';
import { logUpgrade } from './upgradeAccessLog.js';

describe('upgrade access log', () => {
  it('logs a WebSocket upgrade when its connection closes, without the query string', async () => {
    const { log, lines, written: wrote } = capturedLog();
    const clock = new FakeClock(0);
    const server = http.createServer();
    server.on('upgrade', (req, socket: Socket) => {
      logUpgrade({ log: log, clock }, req, socket, '/v1/tunnel');
      clock.advance(3_000);
      socket.end('HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const req = http.request({
      port: (server.address() as AddressInfo).port, host: '127.0.0.1', path: '/v1/tunnel?token=brt_hidden',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'X-Request-Id': 'agent-1' },
    });
    req.on('error', () => undefined);
    req.on('response', (res) => res.resume());
    req.end();
    await wrote;
    server.close();
    const line = lines[0] as Record<string, unknown>;
    assert.deepEqual(
      { reqId: line.reqId, method: line.method, route: line.route, path: line.path, upgrade: line.upgrade, ip: line.ip, durationMs: line.durationMs },
      { reqId: 'agent-1', method: 'GET', route: '/v1/tunnel', path: '/v1/tunnel', upgrade: 'websocket', ip: '127.0.0.1', durationMs: 3_000 },
    );
    assert.ok(!JSON.stringify(line).includes('hidden'));
  });
});
