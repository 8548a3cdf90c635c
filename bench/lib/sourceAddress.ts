/**
 * The loopback address fleet node `index` connects from when `perAddress` nodes share one:
 * 127.1.0.0 upward, so the fleet comes from many addresses, as nodes in the field do, and
 * no per-address cap or ephemeral port range is shared by more than `perAddress` of them.
 */
export function fleetSourceAddress(index: number, perAddress: number): string {
  const k = Math.floor(index / perAddress);
  return `127.${1 + Math.floor(k / 65_536)}.${Math.floor(k / 256) % 256}.${k % 256}`;
}
