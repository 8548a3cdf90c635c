/** The status route's answer and its reports: the same types the server builds them from, so they cannot drift apart. */
export type { NodeStatusReport, NodeStatusView } from '../shared/protocol.js';

/** A node as GET /v1/nodes answers; fields added by newer servers are optional. */
export interface Node {
  id: string;
  name: string;
  group: string;
  status: 'pending' | 'approved' | 'revoked';
  mode?: string;
  online: boolean;
  lastSeen: string | null;
  services: string[];
  /** Services the node declared as plain TCP: reached with `burrow tcp`, not in a browser. */
  tcpServices?: string[];
  agentVersion: string | null;
  nextCheckIn?: string | null;
  proposedMode?: string | null;
  /** Labels (key=value); absent in some live events. */
  labels?: Record<string, string>;
  /** Imported from a CSV file, its agent has not enrolled yet. */
  awaitingEnrollment?: true;
}

/** A session as the API shows it; `url` is absent in live events and may be one-time. */
export interface Session {
  id: string;
  nodeId: string;
  service: string;
  /** tcp sessions are used through `burrow tcp`, never in a browser tab. */
  type?: 'http' | 'tcp';
  port: number;
  url?: string;
  state: 'open' | 'closed' | 'queued' | string;
  openedAt: string;
  expiresAt: string;
  closedAt: string | null;
  closeReason: string | null;
  /** The node's name and the opener's email, as GET /v1/sessions lists them (absent in live events). */
  node?: string;
  user?: string | null;
}

/** A group the caller can see. */
export interface Group {
  id: string;
  name: string;
  parent: string | null;
  path: string;
  role: 'admin' | 'operator' | 'viewer';
}

/** The answer of GET /v1/auth/whoami. */
export interface WhoAmI {
  userId: string;
  email: string;
  via: 'token' | 'console';
  grants: { groupId: string; role: 'admin' | 'operator' | 'viewer' }[];
  totpEnrollmentRequired: boolean;
  csrfToken?: string;
}
