/**
 * The month a tunnel's bytes count towards: the calendar month in UTC, as 'YYYY-MM'. Both
 * ends name months the same way, so the node's count and the server's line up.
 */
export function trafficMonth(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** When the count of the month holding `ms` starts over: the first instant of the next month, UTC. */
export function nextMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
