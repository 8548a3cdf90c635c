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

/** Deprecated IPv6 site-local addresses: private, though outside fc00::/7. */
const SITE_LOCAL = new BlockList();
SITE_LOCAL.addSubnet('fec0::', 10, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad included). */
function ipv6Groups(ip: string): number[] {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const hex = quad ? ip.slice(0, quad.index) + (((Number(quad[1]) << 8) | Number(quad[2])).toString(16) + ':' + ((Number(quad[3]) << 8) | Number(quad[4])).toString(16)) : ip;
  const [head = '', tail] = hex.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 address an IPv6 one carries to be reached through a translator, or the address
 * itself: IPv4-mapped (::ffff:10.0.0.1), SIIT (::ffff:0:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d,
 * 64:ff9b:1::/48). A NAT64 gateway delivers to the IPv4 address inside, private ones too.
 */
function unmapped(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const g = ipv6Groups(ip);
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const mapped = zero(0, 5) && g[5] === 0xffff;
  const siit = zero(0, 4) && g[4] === 0xffff && g[5] === 0;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1);
  if (!mapped && !siit && !nat64) return ip;
  const [hi = 0, lo = 0] = g.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
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
    if (!this.allowPrivate && (isPrivateAddress(a) || (family === 6 && SITE_LOCAL.check(a, 'ipv6')))) return `${ip} is a private, loopback or link-local address (refused unless the server's alertPrivateTargets setting allows it)`;
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
