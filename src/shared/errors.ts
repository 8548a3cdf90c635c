/** Every error code burrow can raise, with how each surface should present it. */
const table = {
  BAD_REQUEST: { status: 400, exit: 2, retryable: false },
  VALIDATION: { status: 400, exit: 2, retryable: false },
  /** A node CSV import refused as a whole: some lines are bad (each named in the answer). */
  IMPORT_INVALID: { status: 422, exit: 2, retryable: false },
  UNAUTHENTICATED: { status: 401, exit: 3, retryable: false },
  LOGIN_FAILED: { status: 401, exit: 3, retryable: false },
  TOTP_INVALID: { status: 401, exit: 3, retryable: false },
  FORBIDDEN: { status: 403, exit: 3, retryable: false },
  TOTP_REQUIRED: { status: 403, exit: 3, retryable: false },
  PASSWORD_CHANGE_REQUIRED: { status: 403, exit: 3, retryable: false },
  CSRF_INVALID: { status: 403, exit: 3, retryable: false },
  NOT_FOUND: { status: 404, exit: 4, retryable: false },
  NODE_NOT_FOUND: { status: 404, exit: 4, retryable: false },
  NODE_AMBIGUOUS: { status: 409, exit: 5, retryable: false },
  SESSION_NOT_FOUND: { status: 404, exit: 4, retryable: false },
  ROUTE_NOT_FOUND: { status: 404, exit: 4, retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, exit: 2, retryable: false },
  CONFLICT: { status: 409, exit: 5, retryable: false },
  NODE_OFFLINE: { status: 409, exit: 5, retryable: true },
  SESSION_CLOSED: { status: 409, exit: 5, retryable: false },
  NODE_NOT_APPROVED: { status: 409, exit: 5, retryable: false },
  SERVICE_UNAVAILABLE_ON_NODE: { status: 409, exit: 5, retryable: false },
  /** A session asked for one of burrow's own services (shell, jobs), which are no session targets. */
  SERVICE_INTERNAL: { status: 400, exit: 2, retryable: false },
  SHELL_UNAVAILABLE: { status: 409, exit: 5, retryable: false },
  /** A person on the node's site denied the request, or nobody decided before it timed out. */
  APPROVAL_DENIED: { status: 403, exit: 3, retryable: false },
  /** The requester withdrew a request that waited for approval on site, or the node went away. */
  APPROVAL_WITHDRAWN: { status: 409, exit: 5, retryable: false },
  /** The node's operator allowed no file pulls (or no bundle logs), so the node offers no files service. */
  FILES_OFF: { status: 409, exit: 5, retryable: false },
  /** The node refused this pull: outside its allowed directories, too large, missing. */
  FILE_REFUSED: { status: 403, exit: 3, retryable: false },
  JOB_NOT_FOUND: { status: 404, exit: 4, retryable: false },
  RECORDING_NOT_FOUND: { status: 404, exit: 4, retryable: false },
  ENROLL_TOKEN_INVALID: { status: 401, exit: 3, retryable: false },
  ENROLL_KEY_IN_USE: { status: 409, exit: 5, retryable: false },
  UPGRADE_REQUIRED: { status: 426, exit: 2, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, exit: 2, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 2, retryable: false },
  RATE_LIMITED: { status: 429, exit: 6, retryable: true },
  /** The node's monthly data budget is spent and its budget refuses new sessions (no override active). */
  BUDGET_EXCEEDED: { status: 403, exit: 3, retryable: false },
  SESSION_LIMIT: { status: 429, exit: 6, retryable: true },
  CHANNEL_LIMIT: { status: 429, exit: 6, retryable: true },
  PORT_RANGE_EXHAUSTED: { status: 503, exit: 6, retryable: true },
  /** /readyz: the server is up but not ready to serve (store, migrations, ports). */
  NOT_READY: { status: 503, exit: 6, retryable: true },
  SERVER_UNREACHABLE: { status: 502, exit: 7, retryable: true },
  /** Another instance of the deployment could not be reached over the peer link, or did not prove it holds the peer key. */
  PEER_UNREACHABLE: { status: 502, exit: 7, retryable: true },
  PROXY_REFUSED: { status: 502, exit: 7, retryable: true },
  TLS_PIN_MISMATCH: { status: 502, exit: 7, retryable: false },
  HOST_KEY_MISMATCH: { status: 502, exit: 7, retryable: false },
  NODE_REVOKED: { status: 403, exit: 3, retryable: false },
  SERVICE_TARGET_REFUSED: { status: 403, exit: 3, retryable: false },
  NOT_ENROLLED: { status: 400, exit: 2, retryable: false },
  ALREADY_INITIALIZED: { status: 409, exit: 5, retryable: false },
  NOT_INITIALIZED: { status: 400, exit: 2, retryable: false },
  STORE_FULL: { status: 507, exit: 8, retryable: true },
  MIGRATION_FAILED: { status: 500, exit: 8, retryable: false },
  CONFIG_INVALID: { status: 500, exit: 2, retryable: false },
  INTERNAL: { status: 500, exit: 1, retryable: true },
} as const satisfies Record<string, { status: number; exit: number; retryable: boolean }>;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof table;

/** The one error type of burrow: callers branch on `code`, never on the message. */
export class BurrowError extends Error {
  readonly code: ErrorCode;
  /** Safe to show to the remote caller (all codes but INTERNAL). */
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BurrowError';
    this.code = code;
    this.expose = code !== 'INTERNAL';
  }

  /** HTTP status for this error's code. */
  get status(): number {
    return table[this.code].status;
  }

  /** CLI exit code for this error's code. */
  get exitCode(): number {
    return table[this.code].exit;
  }

  /** Whether repeating the same operation later may succeed. */
  get retryable(): boolean {
    return table[this.code].retryable;
  }
}

/** Whether `code` is one burrow knows (used when reading errors off the wire). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(table, code);
}

/** The HTTP status that `code` maps to. */
export function statusOf(code: ErrorCode): number {
  return table[code].status;
}

/** Wraps any thrown value as a BurrowError, keeping BurrowErrors as they are. */
export function toBurrowError(err: unknown): BurrowError {
  if (err instanceof BurrowError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BurrowError('INTERNAL', message, { cause: err });
}
