import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { serviceNameSchema } from '../../shared/protocol.js';
import { approvalIdSchema } from '../../shared/approvalProtocol.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';

/**
 * What the two ends of the peer link say to each other. One relayed connection is one TLS
 * connection: an HTTP/1.1 upgrade request names the node and service, the answer is 101
 * and then raw bytes both ways, or an error status with burrow's JSON error body.
 */

/** The `Upgrade` token of a relay. */
export const PEER_UPGRADE = 'burrow-peer/1';

/** Headers that carry the address of whoever the relayed connection is for (a browser, a shell client). */
export const ORIGIN_IP_HEADER = 'x-burrow-origin-ip';
export const ORIGIN_PORT_HEADER = 'x-burrow-origin-port';
/** The approval on site a relayed channel opens under, so it travels the session's own path. */
export const APPROVAL_HEADER = 'x-burrow-approval';

const PATH = /^\/peer\/v1\/nodes\/([^/?#]{1,200})\/services\/([^/?#]{1,200})$/;

/** The request path that asks for service `service` of node `nodeId`. */
export function peerServicePath(nodeId: string, service: string): string {
  return `/peer/v1/nodes/${encodeURIComponent(nodeId)}/services/${encodeURIComponent(service)}`;
}

/** The node and service a request path names, or undefined when it is not a relay path or names no valid service. */
export function parsePeerServicePath(path: string): { nodeId: string; service: string } | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  try {
    const nodeId = decodeURIComponent(m[1] as string);
    const service = decodeURIComponent(m[2] as string);
    return serviceNameSchema.safeParse(service).success ? { nodeId, service } : undefined;
  } catch {
    return undefined;
  }
}

/** The origin a relay request forwards, or undefined when its headers do not hold an IP address and a port. */
export function parseOrigin(headers: IncomingHttpHeaders): ForwardOrigin | undefined {
  const ip = headers[ORIGIN_IP_HEADER];
  const port = headers[ORIGIN_PORT_HEADER];
  if (typeof ip !== 'string' || isIP(ip) === 0 || typeof port !== 'string' || !/^\d{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  const approval = headers[APPROVAL_HEADER];
  if (n > 65535 || (approval !== undefined && (typeof approval !== 'string' || !approvalIdSchema.safeParse(approval).success))) return undefined;
  return { ip, port: n, ...(typeof approval === 'string' ? { approval } : {}) };
}
