import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { capturedLog } from '../testing/capturedLog.js';
import { FakeClock } from '../../shared/clock.js';
import { logSessionConnections } from './sessionAccessLog.js';

describe('session port access log', () => {
  it('writes one line per client connection with the session id, and nothing the client sent', async () => {
    const { log, lines, written: wrote } = capturedLog();
    const clock = new FakeClock(5_000);
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        clock.advance(1_500);
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    logSessionConnections(server, { log: log, clock, sessionId: 'ses_abc', type: 'http' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const request = 'GET /?burrow_token=one-time-secret HTTP/1.1\r\nHost: x\r\nCookie: session=cookie-secret\r\n\r\n';
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => client.write(request));
    client.resume();
    await wrote;
    client.destroy();
    server.close();
    assert.equal(lines.length, 1);
    const line = lines[0] as Record<string, unknown>;
    assert.deepEqual(
      { sessionId: line.sessionId, type: line.type, ip: line.ip, durationMs: line.durationMs, bytesIn: line.bytesIn, msg: line.msg },
      { sessionId: 'ses_abc', type: 'http', ip: '127.0.0.1', durationMs: 1_500, bytesIn: Buffer.byteLength(request), msg: 'session connection' },
    );
    assert.match(String(line.reqId), /^req_/);
    assert.ok(!JSON.stringify(line).includes('secret'));
  });
});
