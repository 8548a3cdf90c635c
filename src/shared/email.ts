import { z } from 'zod';

/**
 * An address to sign in with: name@host, no spaces, at most 254 characters. A host without
 * a dot is fine: `server init` names the first admin admin@localhost, and every place that
 * takes an email (init, login, user creation, the console) must accept the same addresses.
 */
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@.][^\s@]{0,188}$/;

/** The one zod schema of an email address (trimmed), shared by the server's routes. */
export const emailSchema = z.string().trim().max(254).regex(EMAIL_PATTERN, 'not an email address (name@host)');

/** Whether `text` is an email address burrow accepts. */
export function isEmail(text: string): boolean {
  return text.length <= 254 && EMAIL_PATTERN.test(text);
}
