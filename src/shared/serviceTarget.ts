import { z } from 'zod';
import { serviceNameSchema, type SessionType } from './protocol.js';

/** Where a node service lives on the node, and how its WebUI is spoken to. */
export interface ServiceTarget {
  /** `http` unless the service was configured as `https://host:port`. */
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /**
   * The session type the service declared: `tcp` for `tcp://host:port`, `http` for
   * `http(s)://host:port`; absent for a bare `host:port`, which may be either.
   */
  type?: SessionType;
}

const TARGET = /^(?:(https?|tcp):\/\/)?([^\s:/[\]]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/;

/** A service target as configured: `host:port` (plain HTTP or raw TCP), `http(s)://host:port` or `tcp://host:port`. */
export const serviceTargetSchema = z
  .string()
  .max(300)
  .refine((v) => parseServiceTarget(v) !== undefined, 'expected HOST:PORT, http(s)://HOST:PORT or tcp://HOST:PORT');

/** Parses a service target; undefined when it is not one. */
export function parseServiceTarget(value: string): ServiceTarget | undefined {
  const m = TARGET.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const host = (m[2] as string).replace(/^\[(.*)\]$/, '$1');
  const declared = m[1] === undefined ? {} : { type: m[1] === 'tcp' ? ('tcp' as const) : ('http' as const) };
  return { scheme: m[1] === 'https' ? 'https' : 'http', host, port, ...declared };
}

/** `host:port` as an HTTP Host header or URL authority names it (IPv6 in brackets). */
export function targetAuthority(t: Pick<ServiceTarget, 'host' | 'port'>): string {
  return `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/**
 * HTTP header the agent sends on its tunnel upgrade with its services' targets as JSON
 * ({"webui":"https://127.0.0.1:8443"}), so the server can speak to each WebUI as it
 * expects (scheme, Host) and recognise the WebUI's own address in its redirects.
 */
export const SERVICE_TARGETS_HEADER = 'x-burrow-service-targets';

/** Reads that header; unknown or malformed entries are dropped, never trusted. */
export function parseServiceTargetsHeader(value: string | string[] | undefined): Map<string, ServiceTarget> {
  const out = new Map<string, ServiceTarget>();
  if (typeof value !== 'string' || value.length > 16_384) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return out;
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (!serviceNameSchema.safeParse(name).success || typeof raw !== 'string') continue;
    const t = parseServiceTarget(raw);
    if (t) out.set(name, t);
  }
  return out;
}
