import { BurrowError } from '../../shared/errors.js';

/** `url` with any password replaced by `***`, fit for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*:)[^/@?#]*@/i, '$1***@');
}

/**
 * Checks a postgres:// URL up front, so a typo is one plain sentence rather than a
 * driver error (which could echo the password) at first use.
 */
export function checkPostgresUrl(url: string): URL {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new BurrowError('CONFIG_INVALID', `The database URL ${redactDatabaseUrl(url)} is not a URL like postgres://user:password@host:5432/burrow.`);
  }
  if (parsed.pathname.length <= 1) {
    throw new BurrowError('CONFIG_INVALID', `The database URL ${redactDatabaseUrl(url)} names no database; add it as the path, e.g. postgres://host:5432/burrow.`);
  }
  return parsed;
}
