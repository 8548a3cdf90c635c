import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requestJson } from '../src/shared/pinnedHttps.js';
import { freePort, sessionPortRange } from './harness/freePort.js';
import { repoRoot } from './harness/paths.js';
import { makeTempDir } from './harness/tempDir.js';
import { totpCode } from './harness/totp.js';
import { waitFor } from './harness/waitFor.js';

/** Runs a command to completion; fails with its output unless it exits 0. */
function run(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: o.cwd, env: { ...process.env, BURROW_HOME: '', ...o.env }, timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The packages with install scripts: npm 11 asks for them to be allowed by name. */
const ALLOW_SCRIPTS = 'burrow,bufferutil,cpu-features,node-pty,sqlite3,ssh2';

// Issue 21, a package: `npm pack`, then `npm install -g` of the tarball into a throwaway
// prefix, and burrow run from there as an operator would, server and agent.
describe('the npm package, installed into a clean prefix', () => {
  const daemons: ChildProcess[] = [];
  let dir = '';
  let removeDir = async () => {};
  let prefix = '';
  let mirror: Server | undefined;
  let mirrorUrl = '';
  const mirrored: string[] = [];
  let burrow = '';
  let installSeconds = 0;

  // sqlite3 downloads a prebuilt binary at install and compiles SQLite (minutes on two
  // cores) only when it cannot. This machine reaches the npm registry and nothing else,
  // so the test serves the checkout's own build of that binary as the download, from a
  // local mirror (sqlite3's documented binary host setting). Every other native part,
  // node-pty, ssh2's crypto, cpu-features and burrow's own native/memory, builds on
  // install as on any machine (bufferutil ships prebuilt binaries).
  async function startMirror(): Promise<string> {
    const tarball = join(dir, 'sqlite3-prebuilt.tar.gz');
    await run('tar', ['-C', join(repoRoot, 'node_modules', 'sqlite3'), '-czf', tarball, 'build/Release/node_sqlite3.node']);
    const body = await readFile(tarball);
    mirror = createServer((req, res) => {
      mirrored.push(req.url ?? '');
      if (!/\/sqlite3-v[^/]*\.tar\.gz$/.test(req.url ?? '')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    mirror.listen(0, '127.0.0.1');
    await once(mirror, 'listening');
    return `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  }

  before(async () => {
    const tmp = await makeTempDir('burrow-e2e-package-');
    [dir, removeDir] = [tmp.path, tmp.remove];
    prefix = join(dir, 'prefix');
    burrow = join(prefix, 'bin', 'burrow');
    // --ignore-scripts: the tests run on a fresh build; prepack would rebuild dist/ under the other tests.
    const packed = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot })) as { filename: string }[];
    const tgz = join(dir, packed[0]?.filename ?? '');
    mirrorUrl = await startMirror();
    const started = Date.now();
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `--allow-scripts=${ALLOW_SCRIPTS}`, tgz], {
      env: { npm_config_sqlite3_binary_host_mirror: mirrorUrl },
      timeoutMs: 900_000,
    });
    installSeconds = (Date.now() - started) / 1000;
    process.stderr.write(`npm install -g of the package took ${installSeconds.toFixed(0)} s\n`);
  });

  after(async () => {
    for (const d of daemons) {
      if (d.exitCode === null && d.signalCode === null) {
        d.kill('SIGTERM');
        await once(d, 'exit');
      }
    }
    mirror?.close();
    // prebuild-install keeps what it downloaded in npm's cache, named after the URL: the
    // mirror's port makes each run's name new, so take this run's copy out again.
    const cache = (await run('npm', ['config', 'get', 'cache'])).trim();
    for (const path of mirrored) {
      const url = `${mirrorUrl}${path}`;
      const name = `${createHash('sha512').update(url).digest('hex').slice(0, 6)}-${path.split('/').pop()?.replace(/[^a-zA-Z0-9.]+/g, '-')}`;
      await rm(join(cache, '_prebuilds', name), { force: true });
    }
    await removeDir();
  });

  /** Starts `burrow args…` from the prefix in the background, output to `log`. */
  function daemon(args: string[], log: string): ChildProcess {
    const fd = openSync(join(dir, log), 'a');
    const child = spawn(burrow, args, { stdio: ['ignore', fd, fd], env: { ...process.env, BURROW_HOME: '' } });
    closeSync(fd);
    daemons.push(child);
    return child;
  }

  it('holds the launcher, the bundles, the console, the migrations and the built native parts, and no dev tools', async () => {
    const pkg = join(prefix, 'lib', 'node_modules', 'burrow');
    for (const path of ['bin/burrow', 'dist/src/bundle/main.js', 'dist/console/index.html', 'migrations/001_init.sql', 'native/memory/build/Release/burrow_memory.node']) {
      assert.ok(existsSync(join(pkg, path)), `${path} is missing from the installed package`);
    }
    const installed = new Set(await readdir(join(pkg, 'node_modules')));
    for (const dev of ['typescript', 'esbuild', 'eslint', 'playwright-core', 'fast-check', 'preact']) assert.ok(!installed.has(dev), `${dev} (a devDependency) was installed`);
    assert.ok(existsSync(join(pkg, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node')), 'node-pty was not built');
    assert.ok(mirrored.some((u) => u.includes('sqlite3-v')), `sqlite3 did not fetch its binary (asked: ${mirrored.join(', ')})`);
    assert.ok(!existsSync(join(pkg, 'dist', 'src', 'cli', 'main.js')), 'the unbundled build was packed');
  });

  it('runs burrow --help, server init and start, node enroll and run from the prefix, and the node comes online', async () => {
    assert.match(await run(burrow, ['--help']), /Usage: burrow[\s\S]*server[\s\S]*node/);

    const home = join(dir, 'server');
    const passwordFile = join(dir, 'admin-password');
    await writeFile(passwordFile, 'package-test-password-long', { mode: 0o600 });
    const listen = `127.0.0.1:${await freePort()}`;
    const init = JSON.parse(await run(burrow, ['server', 'init', '--home', home, '--listen', listen, '--admin-password-file', passwordFile, '--session-ports', sessionPortRange(10).join('-'), '--json'])) as { url: string; adminEmail: string; totpSecret: string; fingerprint: string };
    const server = daemon(['server', 'start', '--home', home], 'server.log');
    await waitFor('the installed server to answer /healthz', async () => {
      if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}: ${await readFile(join(dir, 'server.log'), 'utf8')}`);
      return (await requestJson<{ ok: boolean }>(new URL('/healthz', init.url).toString(), { method: 'GET', pin: init.fingerprint, timeoutMs: 5_000 })).ok;
    }, { timeoutMs: 30_000 });

    const admin = join(dir, 'admin');
    await run(burrow, ['admin', 'login', '--home', admin, '--server', init.url, '--email', init.adminEmail, '--password-file', passwordFile, '--totp', await totpCode(init.totpSecret), '--fingerprint', init.fingerprint]);
    const { token } = JSON.parse(await run(burrow, ['admin', 'enroll-token', 'create', '--auto-approve', '--json', '--home', admin])) as { token: string };
    const nodeHome = join(dir, 'node');
    const enrolled = JSON.parse(await run(burrow, ['node', 'enroll', init.url, '--token', token, '--name', 'packaged', '--service', 'webui=127.0.0.1:9', '--home', nodeHome, '--json'])) as { nodeId: string; status: string };
    assert.equal(enrolled.status, 'approved');
    const agent = daemon(['node', 'run', '--home', nodeHome], 'node.log');
    const apiToken = (JSON.parse(await readFile(join(admin, 'cli.json'), 'utf8')) as { token: string }).token;
    await waitFor('the installed agent to bring its node online', async () => {
      if (agent.exitCode !== null) throw new Error(`the agent exited with ${agent.exitCode}: ${await readFile(join(dir, 'node.log'), 'utf8')}`);
      const view = await requestJson<{ online: boolean }>(new URL(`/v1/nodes/${enrolled.nodeId}`, init.url).toString(), { method: 'GET', pin: init.fingerprint, token: apiToken, timeoutMs: 5_000 });
      return view.online;
    }, { timeoutMs: 30_000 });
    // The agent found burrow's own addon where the package built it.
    assert.doesNotMatch(await readFile(join(dir, 'node.log'), 'utf8'), /native addon is not available/);
  });
});
