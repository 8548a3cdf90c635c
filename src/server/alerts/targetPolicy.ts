import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { BurrowError } from '../../shared/errors.js';
import { isPrivateAddress } from '../../shared/privateAddress.js';

/** Addresses that are no internet host at all: unspecified, multicast, broadcast. */
const NOWHERE = new BlockList();
NOWHERE.addSubnet('0.0.0.0', 8, 'ipv4');
NOWHERE.addSubnet('224.0.0.0', 4, 'ipv4');
NOWHERE.addSubnet('240.0.0.0', 4, 'ipv4');
NOWHERE.addAddress('::', 'ipv6');
NOWHERE.addSubnet('ff00::', 8, 'ipv6');

/** An IPv4 address hidden in an IPv4-mapped IPv6 one (::ffff:10.0.0.1), or the address itself. */
function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? (m[1] as string) : ip;
}

/**
 * Where alert channels may connect. A group admin names webhook URLs and SMTP hosts; the
 * server, not the admin, makes the connection, from inside the operator's network. Unless
 * the operator allows private targets, every address a name resolves to must be public
 * (no loopback, RFC 1918, CGNAT, link-local such as the 169.254.169.254 metadata service,
 * unique-local), and the connection goes to the address that was checked, so a name that
 * resolves differently the second time (DNS rebinding) cannot slip past.
 */
export class TargetPolicy {
  constructor(private readonly allowPrivate: boolean, private readonly resolve: (host: string) => Promise<string[]> = resolveAll) {}

  /** Why an address may not be connected to, or null when it may. */
  refusal(ip: string): string | null {
    const a = unmapped(ip);
    const family = isIP(a);
    if (family === 0) return `${ip} is not an IP address`;
    if (NOWHERE.check(a, family === 4 ? 'ipv4' : 'ipv6')) return `${ip} is not a host address`;
    if (!this.allowPrivate && isPrivateAddress(a)) return `${ip} is a private, loopback or link-local address (refused unless the server's alertPrivateTargets setting allows it)`;
    return null;
  }

  /** Checks a host name or literal and returns the address to connect to; throws SERVICE_TARGET_REFUSED. */
  async addressOf(host: string): Promise<string> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    const addresses = isIP(bare) ? [bare] : await this.resolve(bare);
    if (addresses.length === 0) throw new BurrowError('SERVICE_TARGET_REFUSED', `${host} does not resolve.`);
    for (const ip of addresses) {
      const why = this.refusal(ip);
      if (why) throw new BurrowError('SERVICE_TARGET_REFUSED', `Refused ${host}: ${why}.`);
    }
    return addresses[0] as string;
  }

  /** Checks a literal host at creation time (names are checked at each delivery, when they resolve). */
  checkLiteral(host: string): void {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    if (!isIP(bare)) {
      if (!this.allowPrivate && /^(localhost|.*\.localhost|.*\.internal|.*\.local)$/i.test(bare)) throw new BurrowError('SERVICE_TARGET_REFUSED', `Refused ${host}: a local name (refused unless the server's alertPrivateTargets setting allows it).`);
      return;
    }
    const why = this.refusal(bare);
    if (why) throw new BurrowError('SERVICE_TARGET_REFUSED', `Refused ${host}: ${why}.`);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    throw new BurrowError('SERVICE_TARGET_REFUSED', `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}
