/** An API failure, in words the console can show as they are. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onSignedOut: () => void = () => undefined;

/** Keeps the CSRF token of this sign-in in memory only (never in storage a script could read later). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The CSRF token of this sign-in: the terminal's WebSocket carries it in its URL (a browser cannot set headers there). */
export function currentCsrfToken(): string | undefined {
  return csrfToken;
}

/** Called when the server says the sign-in is gone, so the app can show the login page. */
export function setSignedOutHandler(fn: () => void): void {
  onSignedOut = fn;
}

/** Messages for failures that never reached the API's own words. */
function transportError(status: number): ApiError {
  if (status === 0) return new ApiError('NETWORK', 'Cannot reach the burrow server. Check the connection and try again.', 0);
  if (status === 502 || status === 503 || status === 504) return new ApiError('UNAVAILABLE', 'The burrow server is not answering right now. Try again in a moment.', status);
  return new ApiError('UNEXPECTED', `The server gave an unexpected answer (HTTP ${status}).`, status);
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  try {
    return await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw transportError(0);
  }
}

async function failure(res: Response): Promise<ApiError> {
  try {
    const parsed = (await res.json()) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message) return new ApiError(parsed.error.code ?? 'UNKNOWN', parsed.error.message, res.status);
  } catch {
    // Not our JSON error shape: a proxy or a crash answered.
  }
  return transportError(res.status);
}

/**
 * Calls the burrow API with the console's cookie. A stale CSRF token (another tab signed
 * in again, replacing the cookie this tab's token belongs to) is refreshed once and the
 * call repeated.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (res.status === 403 && method !== 'GET') {
    const err = await failure(res.clone());
    if (err.code === 'CSRF_INVALID') {
      const who = await send('GET', '/v1/auth/whoami', undefined);
      if (who.ok) setCsrfToken(((await who.json()) as { csrfToken?: string }).csrfToken);
      res = await send(method, path, body);
    }
  }
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && err.code === 'UNAUTHENTICATED') onSignedOut();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The words to show for any failure. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError && err.code === 'ROUTE_NOT_FOUND') return 'this server does not offer that feature (it may be an older version).';
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? `Something went wrong in the console: ${err.message}` : 'Something went wrong.';
}
