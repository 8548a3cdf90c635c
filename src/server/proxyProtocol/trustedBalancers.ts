import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { parseCidr } from '../../shared/cidr.js';
import { normalizeIp } from '../../shared/net.js';

/**
 * The balancers whose PROXY headers are believed (`proxyProtocolFrom`). A header names
 * any address its sender likes, so only a connection whose own peer address lies in one
 * of these blocks may carry one; everyone else is taken at their socket's word.
 */
export class TrustedBalancers {
  private readonly blocks = new BlockList();
  /** Whether any balancer is listed: with none, listeners take no PROXY headers at all. */
  readonly enabled: boolean;

  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const c = parseCidr(text);
      if (!c) throw new Error(`proxyProtocolFrom: "${text}" is not an address block such as 10.0.0.0/8`);
      this.blocks.addSubnet(c.address, c.prefix, c.family);
    }
    this.enabled = cidrs.length > 0;
  }

  /** Whether a connection from `ip` (a socket's peer address) comes from a listed balancer. */
  trusts(ip: string): boolean {
    if (!this.enabled) return false;
    const a = normalizeIp(ip);
    if (isIPv4(a)) return this.blocks.check(a, 'ipv4');
    return isIPv6(a) && this.blocks.check(a, 'ipv6');
  }
}
