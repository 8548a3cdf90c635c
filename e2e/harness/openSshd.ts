import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, probePort } from './freePort.js';
import { makeTempDir } from './tempDir.js';
import { waitUntil } from './waitFor.js';

/**
 * A real OpenSSH server on loopback (Debian's sshd, scripts/test-deps.sh) that admits the
 * user running the tests with a key of its own, and the matching `ssh` command line.
 */
export class OpenSshd {
  private child?: ChildProcess;
  port = 0;

  private constructor(readonly dir: string, private readonly removeDir: () => Promise<void>) {}

  /** Generates host and user keys in a temp dir and starts sshd on a free port. */
  static async start(): Promise<OpenSshd> {
    const tmp = await makeTempDir('burrow-sshd-');
    const s = new OpenSshd(tmp.path, tmp.remove);
    try {
      await s.boot();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  /** The user sshd admits: whoever runs the tests (an unprivileged sshd can log in no one else). */
  get user(): string {
    return userInfo().username;
  }

  /** `ssh` options that use the test key, trust nothing of the user's own files and never prompt. */
  sshOptions(): string[] {
    return ['-F', '/dev/null', '-i', join(this.dir, 'user'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
  }

  private async boot(): Promise<void> {
    const d = this.dir;
    for (const key of ['host', 'user']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, key)]);
    execFileSync('cp', [join(d, 'user.pub'), join(d, 'authorized_keys')]);
    this.port = await freePort();
    await writeFile(join(d, 'sshd_config'), [
      `Port ${this.port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(d, 'host')}`,
      `AuthorizedKeysFile ${join(d, 'authorized_keys')}`,
      `PidFile ${join(d, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      '',
    ].join('\n'));
    // Run as root, sshd wants its privilege separation directory.
    if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    this.child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(d, 'sshd_config')], { stdio: 'ignore' });
    await waitUntil(async () => (await probePort(this.port)) === 'connected', 15_000, 'sshd to listen');
  }

  /** Stops sshd and removes its files. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    await this.removeDir();
  }
}
