import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);
const STEP_MS = 30_000;

/**
 * The TOTP code for a base32 secret now, or of the step `offsetSeconds` away, from the
 * real oathtool (RFC 6238 peer).
 */
export async function totpCode(secret: string, offsetSeconds = 0): Promise<string> {
  const when = offsetSeconds === 0 ? [] : ['-N', `now ${offsetSeconds < 0 ? '-' : '+'} ${Math.abs(offsetSeconds)} seconds`];
  const { stdout } = await run('oathtool', ['--totp', '-b', ...when, secret]);
  const code = stdout.trim();
  if (!/^\d{6}$/.test(code)) throw new Error(`oathtool printed "${code}", not a 6-digit code`);
  return code;
}

/**
 * Waits for the next 30 s TOTP step: the server refuses a code used once, so a second
 * login of the same user needs a fresh step.
 */
export async function waitForNextTotpStep(): Promise<void> {
  await sleep(STEP_MS - (Date.now() % STEP_MS) + 200);
}
