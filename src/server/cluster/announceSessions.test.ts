import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../shared/log.js';
import { announceSessions } from './announceSessions.js';
import { LocalClusterBus, type ClusterTopics } from './clusterBus.js';

describe('announceSessions', () => {
  it('publishes opens and closes without the URL, until stopped', () => {
    const sessions = new EventEmitter();
    const bus = new LocalClusterBus('i-000000000001');
    const got: ClusterTopics['session'][] = [];
    bus.subscribe('session', (s) => got.push(s));
    const stop = announceSessions(sessions, bus, silentLogger());
    const view = { id: 'ses_1', nodeId: 'nd_1', url: 'https://s.example:40001/?t=one-time-secret', state: 'open' };
    sessions.emit('opened', view, 'g1');
    sessions.emit('closed', { ...view, state: 'closed' }, 'g1', { bytesUp: 1, bytesDown: 2 });
    stop();
    sessions.emit('opened', view, 'g1');
    assert.deepEqual(got, [
      { event: 'session.opened', view: { id: 'ses_1', nodeId: 'nd_1', state: 'open' }, groupId: 'g1' },
      { event: 'session.closed', view: { id: 'ses_1', nodeId: 'nd_1', state: 'closed' }, groupId: 'g1' },
    ]);
  });
});
