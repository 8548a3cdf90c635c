import { isIPv4, isIPv6 } from 'node:net';

/** An address block: an address and how many leading bits of it count. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a block of one). Strict: the
 * prefix is decimal without leading zeros and fits the family; anything else is undefined.
 */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/\s]+)(?:\/(0|[1-9]\d{0,2}))?$/.exec(text);
  if (!m) return undefined;
  const address = m[1] as string;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  return prefix <= max ? { address, prefix, family } : undefined;
}
