import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { probeService } from './nodeStatus.js';

describe('probeService', () => {
  it('reaches a service whatever form its target takes (host:port, http(s)://, tcp://)', async () => {
    const server = net.createServer((s) => s.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    try {
      for (const target of [`127.0.0.1:${port}`, `https://127.0.0.1:${port}`, `http://127.0.0.1:${port}/`, `tcp://127.0.0.1:${port}`]) {
        assert.deepEqual(await probeService(target), { reachable: true }, target);
      }
    } finally {
      server.close();
    }
  });
});
