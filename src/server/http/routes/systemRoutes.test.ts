import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../app.js';
import { buildApiWorld, type ApiWorld } from '../../testing/apiWorld.js';

describe('/healthz and /readyz', () => {
  let world: ApiWorld;
  let failing: string[] = [];
  let server: http.Server;
  let url: string;
  before(async () => {
    world = await buildApiWorld();
    server = http.createServer(createApp({ ...world.deps, readiness: async () => failing }).callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await world.close();
  });

  it('answers /healthz without a credential, whatever readiness says, and tells nothing of the fleet', async () => {
    failing = ['store'];
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200);
    // Anyone may ask, so the answer carries no count of nodes or anything else about the deployment.
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('answers /readyz 200 when ready and 503 NOT_READY naming what fails', async () => {
    failing = [];
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    // The bus's state is shown (a single server's is in process).
    assert.deepEqual(await ready.json(), { ok: true, clusterBus: 'in-process' });
    failing = ['migrations', 'metrics port'];
    const notReady = await fetch(`${url}/readyz`);
    assert.equal(notReady.status, 503);
    const body = (await notReady.json()) as { error: { code: string; message: string; requestId: string } };
    assert.deepEqual([body.error.code, body.error.message], ['NOT_READY', 'Not ready: migrations, metrics port.']);
    assert.equal(body.error.requestId, notReady.headers.get('x-request-id'));
  });
});
