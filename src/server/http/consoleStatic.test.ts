import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { consoleStatic } from './consoleStatic.js';

describe('consoleStatic', () => {
  let dir: string;
  let server: http.Server;
  let url: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-console-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>burrow</title>');
    await writeFile(join(dir, 'assets', 'main-ABCDEF12.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.key'), 'not served: unknown type');
    const app = new Koa();
    app.use(consoleStatic(dir));
    app.use((ctx) => {
      ctx.status = 404;
      ctx.body = 'api';
    });
    server = http.createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and at client-side paths', async () => {
    for (const path of ['/', '/nodes']) {
      const res = await fetch(url + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /<title>burrow/);
    }
  });

  it('serves hashed assets as immutable', async () => {
    const res = await fetch(`${url}/assets/main-ABCDEF12.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /immutable/);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
  });

  it('leaves API paths, unknown files and traversal to the next handler', async () => {
    for (const path of ['/v1/nodes', '/healthz', '/secret.key', '/assets/missing.js', '/assets/..%2F..%2Fetc%2Fpasswd.js']) {
      const res = await fetch(url + path);
      assert.equal(await res.text(), 'api', path);
    }
  });
});
