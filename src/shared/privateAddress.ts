import { BlockList, isIP } from 'node:net';

/** Loopback, RFC 1918, carrier-grade NAT, link-local and IPv6 unique-local ranges: never routed on the internet. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

/** Whether `host` is an IP literal (not a name, not a wildcard) in a private or loopback range. */
export function isPrivateAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return false;
  return PRIVATE.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
