import { execFile } from 'node:child_process';
import type { Logger } from '../shared/log.js';

/**
 * Tells systemd that the service is ready (sd_notify READY=1), when it runs under a
 * `Type=notify` unit (systemd sets NOTIFY_SOCKET); elsewhere does nothing.
 *
 * Why a child process: the message is a datagram on a unix socket, and Node has no unix
 * datagram sockets; the packages that add them are native addons. `systemd-notify`
 * ships with systemd wherever NOTIFY_SOCKET can be set. It is another process than the
 * service's main one, so the unit says NotifyAccess=all; since systemd 246 it waits
 * until systemd has read the message (a barrier), so systemd still finds the sender in
 * the unit's cgroup. A failure is logged, never fatal: the unit then times out starting.
 */
export function notifySystemdReady(env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve();
  return new Promise((resolve) => {
    execFile('systemd-notify', ['--ready'], { env, timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) log.error({ err: err.message, stderr: stderr.trim() }, 'could not tell systemd the server is ready');
      else log.info('told systemd the server is ready');
      resolve();
    });
  });
}
