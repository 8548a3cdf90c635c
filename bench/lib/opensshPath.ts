import { writeFile, mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, run, start, stop, waitForPort } from './procs.js';
import { TLS13_SUITES } from '../../src/shared/tlsPolicy.js';

/** A running OpenSSH reverse tunnel: clients connect to `port` on the sshd side. */
export interface OpenSshTunnel {
  port: number;
  /** Processes whose CPU counts for this path. */
  pids: () => number[];
  close(): Promise<void>;
}

/** Key material and an sshd of our own (never the system's), on a loopback port. */
export async function startSshd(dir: string): Promise<{ port: number; key: string; sshd: ChildProcess }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', userKey]);
  const authorized = join(dir, 'authorized_keys');
  await run('cp', [`${userKey}.pub`, authorized]);
  await chmod(authorized, 0o600);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'GatewayPorts no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true });
  const sshd = start('/usr/sbin/sshd', ['-D', '-e', '-f', config], join(dir, 'sshd.log'));
  await waitForPort(port);
  return { port, key: userKey, sshd };
}

/**
 * `ssh -R` from the "node" side to our sshd, optionally through stunnel, with `-N` or
 * with an interactive session (`-tt`, which also turns on TCP_NODELAY).
 */
export async function openSshReverse(o: { dir: string; sshdPort: number; key: string; originPort: number; cipher?: string; interactive: boolean; viaPort?: number }): Promise<OpenSshTunnel> {
  const port = await freePort();
  const target = o.viaPort ?? o.sshdPort;
  const args = [
    '-p', String(target),
    '-i', o.key,
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-o', 'ExitOnForwardFailure=yes',
    ...(o.cipher ? ['-c', o.cipher] : []),
    '-R', `127.0.0.1:${port}:127.0.0.1:${o.originPort}`,
    ...(o.interactive ? ['-tt', 'root@127.0.0.1', 'sleep 100000'] : ['-N', 'root@127.0.0.1']),
  ];
  // An interactive session needs a live stdin; -N does not read it.
  const ssh = spawn('ssh', args, { stdio: [o.interactive ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
  await waitForPort(port);
  return {
    port,
    pids: () => [ssh.pid as number],
    close: () => stop(ssh),
  };
}

/**
 * A pair of stunnels: plaintext `clientPort` → TLS → `serverPort` → plaintext sshd, with
 * burrow's TLS 1.3 suite order, so both paths encrypt with the same cipher.
 */
export async function startStunnelPair(dir: string, sshdPort: number): Promise<{ clientPort: number; pids: number[]; close(): Promise<void> }> {
  const cert = join(dir, 'stunnel.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-keyout', cert, '-out', cert]);
  const serverPort = await freePort();
  const clientPort = await freePort();
  const serverConf = join(dir, 'stunnel-server.conf');
  const clientConf = join(dir, 'stunnel-client.conf');
  await writeFile(serverConf, `foreground = yes\npid =\n[ssh]\naccept = 127.0.0.1:${serverPort}\nconnect = 127.0.0.1:${sshdPort}\ncert = ${cert}\nsslVersionMin = TLSv1.2\nciphersuites = ${TLS13_SUITES}\n`);
  await writeFile(clientConf, `foreground = yes\npid =\n[ssh]\nclient = yes\naccept = 127.0.0.1:${clientPort}\nconnect = 127.0.0.1:${serverPort}\nsslVersionMin = TLSv1.2\nciphersuites = ${TLS13_SUITES}\n`);
  const s = start('stunnel4', [serverConf], join(dir, 'stunnel-server.log'));
  const c = start('stunnel4', [clientConf], join(dir, 'stunnel-client.log'));
  await waitForPort(serverPort);
  await waitForPort(clientPort);
  return { clientPort, pids: [s.pid as number, c.pid as number], close: async () => void (await Promise.all([stop(s), stop(c)])) };
}
