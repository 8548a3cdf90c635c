import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ShellStack, type StackNode } from './harness/shellStack.js';

interface Target {
  nodeId: string;
  name: string;
  status: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const sh = promisify(execFile);

describe('jobs, file pushes and updates over the tunnel (real processes)', () => {
  let stack: ShellStack;
  let j1: StackNode;
  let j2: StackNode;
  let j3: StackNode;
  let keyDir: string;
  let privatePem: string;
  let publicPem: string;
  before(async () => {
    stack = await ShellStack.start();
    keyDir = stack.dir;
    const keys = generateKeyPairSync('ed25519');
    privatePem = join(keyDir, 'update-key.pem');
    await writeFile(privatePem, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    publicPem = join(keyDir, 'update-key.pub.pem');
    await writeFile(publicPem, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    j1 = await stack.addNode('j1');
    j2 = await stack.addNode('j2', [['jobs', 'on', '--update-key', publicPem]]);
    j3 = await stack.addNode('j3');
    await Promise.all([j1.start(), j2.start(), j3.start()]);
    // j3 goes offline: its job must wait for its next connection.
    await j3.stop();
  });
  after(async () => {
    await stack?.close();
  });

  const show = async (id: string) => {
    const r = await stack.cli(['admin', 'job', 'show', id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { targets: Target[] }).targets;
  };
  const until = async (id: string, done: (t: Target[]) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const t = await show(id);
      if (done(t)) return t;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} never got there: ${JSON.stringify(await show(id))}`);
  };
  const byName = (t: Target[], name: string) => t.find((x) => x.name === name) as Target;

  it('runs on the connected nodes of a group at once, and on an offline one when it connects', async () => {
    const r = await stack.cli(['admin', 'job', 'run', '--group', 'root', '--json', '--', 'sh', '-c', 'echo ran-$((40+2)); exit 0']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    let t = await until(id, (x) => ['j1', 'j2'].every((n) => byName(x, n)?.status === 'ok'));
    assert.equal(byName(t, 'j3').status, 'pending');
    for (const n of ['j1', 'j2']) {
      assert.equal(byName(t, n).exitCode, 0);
      assert.equal(byName(t, n).stdout, 'ran-42\n');
    }
    await j3.start();
    t = await until(id, (x) => byName(x, 'j3').status === 'ok');
    assert.equal(byName(t, 'j3').stdout, 'ran-42\n');
  });

  it('records the exit code and stderr of a failing command, and kills it at its timeout', async () => {
    const fail = await stack.cli(['admin', 'job', 'run', '--node', 'j1', '--wait', '--json', '--', 'sh', '-c', 'echo bad >&2; exit 5']);
    assert.equal(fail.code, 1, 'a failed job makes --wait exit 1');
    const t = (JSON.parse(fail.stdout) as { targets: Target[] }).targets[0] as Target;
    assert.deepEqual([t.status, t.exitCode, t.stderr], ['failed', 5, 'bad\n']);
    const slow = await stack.cli(['admin', 'job', 'run', '--node', 'j1', '--timeout', '1s', '--wait', '--json', '--', 'sleep', '30']);
    const s = (JSON.parse(slow.stdout) as { targets: Target[] }).targets[0] as Target;
    assert.equal(s.status, 'failed');
    assert.match(s.error ?? '', /timed out/);
  });

  it('pushes a file with its mode, and refuses relative targets', async () => {
    const src = join(stack.dir, 'motd.txt');
    const dest = join(stack.dir, 'pushed', 'motd.txt');
    await writeFile(src, 'hello from burrow\n');
    await stack.cli(['admin', 'job', 'run', '--node', 'j1', '--wait', '--', 'mkdir', '-p', join(stack.dir, 'pushed')]);
    const r = await stack.cli(['admin', 'job', 'push', src, '--to', dest, '--mode', '0600', '--node', 'j1', '--wait']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await readFile(dest, 'utf8'), 'hello from burrow\n');
    assert.equal((await stat(dest)).mode & 0o777, 0o600);
    const bad = await stack.cli(['admin', 'job', 'push', src, '--to', 'etc/../motd', '--node', 'j1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /absolute path without \.\. components/);
  });

  it('never creates a setuid or setgid file from a push', async () => {
    const src = join(stack.dir, 'suid.sh');
    const dest = join(stack.dir, 'pushed', 'suid.sh');
    await writeFile(src, '#!/bin/sh\nid\n');
    for (const mode of ['4755', '2755', '6755']) {
      const r = await stack.cli(['admin', 'job', 'push', src, '--to', dest, '--mode', mode, '--node', 'j1', '--wait']);
      if (await exists(dest)) assert.equal((await stat(dest)).mode & 0o6000, 0, `mode ${mode} reached the file`);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /setuid or setgid/);
      assert.equal(await exists(dest), false);
    }
  });

  it('refuses a tampered update on the node before anything runs, and installs the genuine one', async () => {
    const file = join(stack.dir, 'update.sh');
    const marker = join(stack.dir, 'installed');
    const genuine = `touch ${marker}\n`;
    await writeFile(file, genuine);
    const published = createHash('sha256').update(genuine).digest('hex');
    await writeFile(file, `${genuine}rm -rf /tmp/not-really\n`);
    const tampered = await stack.cli(['admin', 'job', 'update', file, '--sha256', published, '--install', `sh "$BURROW_UPDATE_FILE"; touch ${marker}`, '--node', 'j1', '--wait', '--json']);
    assert.equal(tampered.code, 1);
    const t = (JSON.parse(tampered.stdout) as { targets: Target[] }).targets[0] as Target;
    assert.equal(t.status, 'failed');
    assert.match(t.error ?? '', /SHA-256/);
    assert.equal(await exists(marker), false, 'nothing ran');
    await writeFile(file, genuine);
    const ok = await stack.cli(['admin', 'job', 'update', file, '--install', 'sh "$BURROW_UPDATE_FILE"', '--node', 'j1', '--wait']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(await exists(marker), true);
  });

  it('on a node with an update key, runs only updates signed by it', async () => {
    const file = join(stack.dir, 'signed.sh');
    const marker = join(stack.dir, 'signed-installed');
    await writeFile(file, `touch ${marker}\n`);
    const unsigned = await stack.cli(['admin', 'job', 'update', file, '--install', 'sh "$BURROW_UPDATE_FILE"', '--node', 'j2', '--wait', '--json']);
    assert.equal(unsigned.code, 1);
    assert.match(((JSON.parse(unsigned.stdout) as { targets: Target[] }).targets[0] as Target).error ?? '', /only signed updates/);
    assert.equal(await exists(marker), false);
    const signed = await stack.cli(['admin', 'job', 'update', file, '--install', 'sh "$BURROW_UPDATE_FILE"', '--sign', privatePem, '--node', 'j2', '--wait', '--json']);
    assert.equal(signed.code, 0, signed.stdout + signed.stderr);
    assert.equal(await exists(marker), true);
    // The same signed manifest, submitted again as it is (same command, same file), is a replay.
    const id = (JSON.parse(signed.stdout) as { id: string }).id;
    const { stdout } = await sh('sqlite3', ['-json', join(stack.serverHome, 'burrow.db'), `SELECT manifest, signature FROM jobs WHERE id = '${id}';`]);
    const { manifest, signature } = (JSON.parse(stdout) as { manifest: string; signature: string }[])[0] ?? { manifest: '', signature: '' };
    await rm(marker);
    const content = await readFile(file);
    const replay = await stack.api<{ id: string }>('POST', '/v1/jobs', {
      node: 'j2',
      update: { fileName: 'signed.sh', content: content.toString('base64'), sha256: createHash('sha256').update(content).digest('hex'), install: 'sh "$BURROW_UPDATE_FILE"' },
      signed: { manifest, signature },
    });
    const t = byName(await until(replay.id, (x) => !['pending', 'running'].includes(byName(x, 'j2')?.status ?? 'pending')), 'j2');
    assert.equal(t.status, 'failed');
    assert.match(t.error ?? '', /already used on this node; refusing a replay/);
    assert.equal(await exists(marker), false);
  });

  it('refuses a signed update replayed with another install command', async () => {
    const file = join(stack.dir, 'fw.bin');
    const marker = join(stack.dir, 'fw-installed');
    const pwned = join(stack.dir, 'replayed-command-ran');
    await writeFile(file, `touch ${marker}\n`);
    // Queued while j2 is away; then someone with the server's database swaps the install command.
    await j2.stop();
    const r = await stack.cli(['admin', 'job', 'update', file, '--install', 'sh "$BURROW_UPDATE_FILE"', '--sign', privatePem, '--node', 'j2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    await sh('sqlite3', [join(stack.serverHome, 'burrow.db'), `UPDATE jobs SET command = 'touch ${pwned}' WHERE id = '${id}';`]);
    await j2.start();
    const t = byName(await until(id, (x) => !['pending', 'running'].includes(byName(x, 'j2')?.status ?? 'pending')), 'j2');
    assert.equal(t.status, 'failed');
    assert.match(t.error ?? '', /install command is not the one that was signed/);
    assert.equal(await exists(pwned), false, 'the swapped command never ran');
    assert.equal(await exists(marker), false);
  });

  it('on a node whose policy is "all", refuses unsigned commands and pushes and runs signed ones', async () => {
    const j5 = await stack.addNode('j5', [['jobs', 'on', '--update-key', publicPem, '--require', 'all']]);
    await j5.start();
    const marker = join(stack.dir, 'all-policy-ran');
    const src = join(stack.dir, 'all-policy.txt');
    const dest = join(stack.dir, 'all-policy-pushed.txt');
    await writeFile(src, 'signed push\n');
    const error = (r: { stdout: string }) => ((JSON.parse(r.stdout) as { targets: Target[] }).targets[0] as Target).error ?? '';
    const command = await stack.cli(['admin', 'job', 'run', '--node', 'j5', '--wait', '--json', '--', 'touch', marker]);
    assert.equal(command.code, 1, command.stderr);
    assert.match(error(command), /only signed jobs/);
    const push = await stack.cli(['admin', 'job', 'push', src, '--to', dest, '--node', 'j5', '--wait', '--json']);
    assert.equal(push.code, 1, push.stderr);
    assert.match(error(push), /only signed jobs/);
    assert.equal(await exists(marker), false);
    assert.equal(await exists(dest), false);
    const signedCommand = await stack.cli(['admin', 'job', 'run', '--node', 'j5', '--sign', privatePem, '--wait', '--', 'touch', marker]);
    assert.equal(signedCommand.code, 0, signedCommand.stdout + signedCommand.stderr);
    const signedPush = await stack.cli(['admin', 'job', 'push', src, '--to', dest, '--mode', '0640', '--node', 'j5', '--sign', privatePem, '--wait']);
    assert.equal(signedPush.code, 0, signedPush.stdout + signedPush.stderr);
    assert.equal(await exists(marker), true);
    assert.equal(await readFile(dest, 'utf8'), 'signed push\n');
    await j5.stop();
  });

  it('stops a rollout after N failures, and a node that refuses jobs fails them', async () => {
    const j4 = await stack.addNode('j4', [['jobs', 'off']]);
    await j4.start(['shell']);
    const refused = await stack.cli(['admin', 'job', 'run', '--node', 'j4', '--wait', '--json', '--', 'true']);
    assert.equal(refused.code, 1);
    assert.match(((JSON.parse(refused.stdout) as { targets: Target[] }).targets[0] as Target).error ?? '', /refuses jobs/);
    await j3.stop();
    const r = await stack.cli(['admin', 'job', 'run', '--group', 'root', '--stop-after', '1', '--json', '--', 'false']);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const t = await until(id, (x) => x.filter((y) => y.status === 'failed').length >= 1 && byName(x, 'j3').status !== 'pending');
    assert.equal(byName(t, 'j3').status, 'cancelled', 'the offline node is not sent a job of a stopped rollout');
  });

  it('cancels a job for the nodes it has not reached, which then never run it', async () => {
    const marker = join(stack.dir, 'cancelled-job-ran');
    const r = await stack.cli(['admin', 'job', 'run', '--node', 'j3', '--json', '--', 'touch', marker]);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    assert.equal(byName(await show(id), 'j3').status, 'pending');
    const cancel = await stack.cli(['admin', 'job', 'cancel', id]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout.trim(), `Cancelled job ${id} on 1 node it had not reached yet.`);
    // Once j3 is back and has run a later job, the cancelled one has had every chance to run.
    await j3.start();
    const later = await stack.cli(['admin', 'job', 'run', '--node', 'j3', '--wait', '--json', '--', 'true']);
    assert.equal(later.code, 0, later.stderr);
    const t = byName(await show(id), 'j3');
    assert.deepEqual([t.status, t.error], ['cancelled', 'cancelled by an operator']);
    assert.equal(await exists(marker), false);
    const again = await stack.cli(['admin', 'job', 'cancel', id, '--json']);
    assert.equal((JSON.parse(again.stdout) as { cancelled: number }).cancelled, 0, 'nothing left to cancel');
    const unknown = await stack.cli(['admin', 'job', 'cancel', 'job_doesnotexist']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /No job job_doesnotexist/);
  });
});
