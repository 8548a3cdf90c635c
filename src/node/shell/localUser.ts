import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { BurrowError } from '../../shared/errors.js';

/** A local account the shell runs as. */
export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/**
 * Looks a user up in /etc/passwd (Node has no getpwnam); without a name, the agent's own
 * user. An account whose login shell refuses logins (nologin, false) gets /bin/sh, since
 * the operator pinned the shell to it on purpose.
 */
export function localUser(name?: string, passwd = '/etc/passwd'): LocalUser {
  if (name === undefined) {
    const me = userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, shell: usable(me.shell ?? '/bin/sh') };
  }
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] !== name || f.length < 7) continue;
    // Service accounts often have no home (nobody: /nonexistent); start them in /.
    const home = f[5] && existsSync(f[5]) ? f[5] : '/';
    return { name, uid: Number(f[2]), gid: Number(f[3]), home, shell: usable(f[6] ?? '') };
  }
  throw new BurrowError('CONFIG_INVALID', `The shell is pinned to user "${name}", who does not exist on this node.`);
}

function usable(shell: string): string {
  return !shell || /(nologin|false)$/.test(shell) ? '/bin/sh' : shell;
}
