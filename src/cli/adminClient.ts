import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { BurrowError } from '../shared/errors.js';
import { requestJson, requestStream, requestText, type JsonRequest } from '../shared/pinnedHttps.js';
import { readJsonFile, writeFileAtomic, exists } from '../shared/secureFiles.js';
import { pinOfPem } from '../shared/tlsPin.js';

const credentialsSchema = z.object({ server: z.string().url(), email: z.string(), token: z.string(), pin: z.string().optional() });
/** What `burrow admin login` keeps in the home (mode 0600). */
export type Credentials = z.infer<typeof credentialsSchema>;

const credentialsPath = (home: string) => join(home, 'cli.json');

/** Saves the credentials of a login. */
export async function saveCredentials(home: string, c: Credentials): Promise<void> {
  await writeFileAtomic(credentialsPath(home), `${JSON.stringify(c, null, 2)}\n`, 0o600);
}

/** Removes stored credentials by overwriting them with nothing usable. */
export async function forgetCredentials(home: string): Promise<void> {
  await writeFileAtomic(credentialsPath(home), '{}\n', 0o600);
}

/** The stored credentials, or a clear "log in first". */
export async function loadCredentials(home: string): Promise<Credentials> {
  const parsed = credentialsSchema.safeParse(await readJsonFile(credentialsPath(home)));
  if (!parsed.success) throw new BurrowError('UNAUTHENTICATED', `Not logged in (no credentials in ${home}); run "burrow admin login" first.`);
  return parsed.data;
}

/**
 * The pin to trust for a server: the one given, else the certificate of a server whose
 * home this is (an admin on the server machine), else none (system CAs decide).
 */
export async function pinFor(home: string, given: string | undefined): Promise<string | undefined> {
  if (given) {
    if (!/^sha256\/[A-Za-z0-9_-]{43}$/.test(given)) throw new BurrowError('VALIDATION', 'A fingerprint looks like sha256/ followed by 43 characters (burrow server init prints it).');
    return given;
  }
  const local = join(home, 'tls', 'cert.pem');
  if (await exists(local)) return pinOfPem(await readFile(local, 'utf8'));
  return undefined;
}

/** A client of the REST API with the stored credentials. */
export class AdminClient {
  constructor(private readonly creds: Credentials) {}

  /** Loads the credentials of `home`. */
  static async open(home: string): Promise<AdminClient> {
    return new AdminClient(await loadCredentials(home));
  }

  /** The server this client talks to. */
  get server(): string {
    return this.creds.server;
  }

  /** The pin of the server's certificate, if the login pinned one (else the system CAs decide). */
  get pin(): string | undefined {
    return this.creds.pin;
  }

  /** Fetches a non-JSON document (an export) from the API. */
  text(path: string): Promise<string> {
    return requestText(new URL(path, this.creds.server).toString(), { token: this.creds.token, ...(this.creds.pin ? { pin: this.creds.pin } : {}) });
  }

  /** Fetches a download (a file pulled from a node) as a stream. */
  download(path: string): Promise<IncomingMessage> {
    return requestStream(new URL(path, this.creds.server).toString(), { token: this.creds.token, ...(this.creds.pin ? { pin: this.creds.pin } : {}) });
  }

  /** Calls `path` on the API; `timeoutMs` for a call that may wait long (approval on site). */
  call<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const r: JsonRequest = { method, token: this.creds.token, ...(this.creds.pin ? { pin: this.creds.pin } : {}), ...(body === undefined ? {} : { body }), ...(timeoutMs ? { timeoutMs } : {}) };
    return requestJson<T>(new URL(path, this.creds.server).toString(), r);
  }
}
