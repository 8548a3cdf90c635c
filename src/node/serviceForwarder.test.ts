import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientChannel, TcpConnectionDetails } from 'ssh2';
import { silentLogger } from '../shared/log.js';
import { ServiceForwarder } from './serviceForwarder.js';

const info = (destIP: string): TcpConnectionDetails => ({ destIP, destPort: 1, srcIP: '127.0.0.1', srcPort: 5 });

describe('ServiceForwarder', () => {
  it('refuses a channel to anything not on its allow-list, whatever the server names', () => {
    const f = new ServiceForwarder({ webui: '127.0.0.1:9' }, silentLogger());
    for (const name of ['ssh', '127.0.0.1', '10.0.0.1:22', 'webui2', '__proto__', 'constructor']) {
      let accepted = false;
      let rejected = false;
      f.handle(info(name), () => {
        accepted = true;
        return {} as ClientChannel;
      }, () => {
        rejected = true;
      });
      assert.equal(accepted, false, name);
      assert.equal(rejected, true, name);
    }
  });
});
