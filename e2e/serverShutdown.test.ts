import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShellStack } from './harness/shellStack.js';
import { waitFor } from './harness/waitFor.js';

interface AuditEntry {
  action: string;
  target: string;
}

describe('server shutdown with a terminal open (real processes)', () => {
  let stack: ShellStack;
  let nodeId = '';
  before(async () => {
    stack = await ShellStack.start();
    const node = await stack.addNode('s1');
    nodeId = node.id;
    await node.start();
  });
  after(async () => {
    await stack?.close();
  });

  const shellAudit = async (): Promise<AuditEntry[]> => {
    const r = await stack.cli(['admin', 'audit', '--json', '--action', 'shell', '--limit', '50']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as AuditEntry[]).filter((e) => e.target === nodeId);
  };

  it('records the end of the terminal before it closes its store', async () => {
    const shell = stack.cli(['ssh', 's1', '--', 'sleep', '120']);
    await waitFor('the terminal to open', async () => (await shellAudit()).some((e) => e.action === 'shell.open'), { timeoutMs: 30_000 });
    // SIGTERM: the server's own close(), as systemd or Ctrl-C would run it.
    await stack.procs.stop(stack.server as NonNullable<typeof stack.server>, 30_000);
    assert.equal(stack.server?.child.exitCode, 0, 'the server did not exit cleanly');
    const log = await readFile(join(stack.dir, 'server.log'), 'utf8');
    assert.doesNotMatch(log, /Database is closed|SQLITE_MISUSE/);
    assert.doesNotMatch(log, /could not record the end of a terminal session/);
    await shell;
    await stack.startServer();
    assert.ok((await shellAudit()).some((e) => e.action === 'shell.close'), 'the terminal\'s end is not in the audit log');
  });
});
