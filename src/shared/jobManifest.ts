import { z } from 'zod';

/**
 * What a signer authorizes when it signs a job: the exact action (kind, command, target
 * path and mode, payload hash), the nodes it may run on, until when, under a nonce that
 * makes each signed manifest one of a kind. The signature covers the manifest's text as
 * sent, byte for byte, so nothing needs a canonical form; the node compares each field
 * with what the job asks it to do, so a signature cannot be replayed with another command.
 */
export const jobManifestSchema = z
  .object({
    v: z.literal(1),
    /** 128 random bits in hex: tells one signed manifest from another, and lets a node refuse a replay. */
    nonce: z.string().regex(/^[0-9a-f]{32}$/),
    kind: z.enum(['command', 'push', 'update']),
    /** The command; for an update, its install command. */
    command: z.string().nullable(),
    /** push: the absolute target path; update: the file's name. */
    path: z.string().nullable(),
    /** push: the file mode. */
    mode: z.number().int().nullable(),
    /** SHA-256 (hex) of the pushed file or the update. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
    /** The node or group the signer named, as the server resolved it: for people reading it. */
    target: z.object({ node: z.string().max(200) }).or(z.object({ group: z.string().max(200) })),
    /** The ids of the nodes it may run on: a node checks that its own id is here. */
    nodes: z.array(z.string().max(200)).min(1).max(5000),
    /** Epoch milliseconds after which no node runs it. */
    expiresAt: z.number().int(),
  })
  .strict();
export type JobManifest = z.infer<typeof jobManifestSchema>;

/** The most bytes a manifest may take (on the wire and in the API). */
export const MANIFEST_LIMIT = 256 * 1024;

/** The fields of a job a manifest pins. */
export interface SignedAction {
  kind: JobManifest['kind'];
  command: string | null;
  path: string | null;
  mode: number | null;
  sha256: string | null;
}

const FIELD_NAMES: Record<keyof SignedAction, (kind: JobManifest['kind']) => string> = {
  kind: () => 'kind of job',
  command: (k) => (k === 'update' ? 'install command' : 'command'),
  path: (k) => (k === 'update' ? 'file name' : 'target path'),
  mode: () => 'file mode',
  sha256: () => 'file SHA-256',
};

/** Parses a manifest's text, or says why it is not one. */
export function parseManifest(text: string): JobManifest | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'the signed manifest is not JSON';
  }
  const parsed = jobManifestSchema.safeParse(json);
  if (!parsed.success) return `the signed manifest is invalid: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim();
  return parsed.data;
}

/** Which pinned field of `action` differs from the manifest, as a sentence, or undefined when all match. */
export function manifestMismatch(m: JobManifest, action: SignedAction): string | undefined {
  for (const key of ['kind', 'command', 'path', 'mode', 'sha256'] as const) {
    if (m[key] !== action[key]) return `the job's ${FIELD_NAMES[key](m.kind)} is not the one that was signed`;
  }
  return undefined;
}

/** Why a manifest does not allow running on `nodeId` at `now`, or undefined when it does. */
export function manifestScopeProblem(m: JobManifest, nodeId: string, now: number): string | undefined {
  if (!m.nodes.includes(nodeId)) return `the signed manifest is for ${'node' in m.target ? `node ${m.target.node}` : `group ${m.target.group}`}, not for node ${nodeId}`;
  if (now > m.expiresAt) return `the signed manifest expired at ${new Date(m.expiresAt).toISOString()}`;
  return undefined;
}
