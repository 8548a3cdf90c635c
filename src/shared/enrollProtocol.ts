import { z } from 'zod';
import { labelsSchema } from './labelSelector.js';
import { nodeNameSchema, serviceNameSchema } from './protocol.js';

/** The body of POST /v1/enroll. */
export const enrollRequestSchema = z.object({
  token: z.string().min(10).max(200),
  name: nodeNameSchema,
  publicKey: z.string().startsWith('ssh-ed25519 ').max(200),
  services: z.array(serviceNameSchema).max(32).default([]),
  agentVersion: z.string().max(40).optional(),
  /** Labels (key=value) the node asks for; an administrator may change them later. */
  labels: labelsSchema.optional(),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** The answer to a successful enrollment. */
export const enrollResponseSchema = z.object({
  nodeId: z.string(),
  status: z.enum(['pending', 'approved']),
  sshHostKey: z.string(),
  tunnelUrl: z.string(),
  /**
   * A pre-registered node (CSV import) takes its services (name -> target) from the server,
   * as the administrator listed them; absent for a node enrolled with a group's token.
   */
  services: z.record(serviceNameSchema, z.string().max(300)).optional(),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

const ENROLL_PREFIX = 'bre_';

/**
 * Enrollment tokens carry the server certificate's pin after the secret
 * (`bre_<secret>.<pin>`), so `burrow node enroll URL --token T` can verify a
 * self-signed server with nothing else to copy, as kubeadm's discovery hash does.
 */
export function formatEnrollToken(secret: string, pin: string): string {
  return `${ENROLL_PREFIX}${secret}.${pin.replace(/^sha256\//, '')}`;
}

/** Splits an enrollment token into its secret and the server pin it carries. */
export function parseEnrollToken(token: string): { secret: string; pin: string } | undefined {
  const m = /^bre_([A-Za-z0-9_-]{20,64})\.([A-Za-z0-9_-]{43})$/.exec(token.trim());
  if (!m) return undefined;
  return { secret: m[1] as string, pin: `sha256/${m[2] as string}` };
}
