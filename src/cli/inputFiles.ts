import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BurrowError } from '../shared/errors.js';

/** Why a file could not be read, in words (the errno code when there are none). */
function why(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'there is no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return err.code ?? err.message;
  }
}

/** Reads a file named on the command line; a missing or unreadable one is one sentence naming it. */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new BurrowError('VALIDATION', `Cannot read ${what} ${path}: ${why(err as NodeJS.ErrnoException)}.`);
  }
}

/**
 * The ed25519 private key of `--sign`. The likely mistake, the public half (the one nodes
 * are given with `burrow node jobs on --update-key`), is named as such.
 */
export async function readSigningKey(path: string): Promise<KeyObject> {
  const pem = (await readInputFile(path, 'the signing key')).toString('utf8');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----|^ssh-ed25519 /m.test(pem)) {
      throw new BurrowError('VALIDATION', `${path} holds a public key; --sign takes the ed25519 private key (PEM) whose public half the nodes were given with "burrow node jobs on --update-key".`);
    }
    throw new BurrowError('VALIDATION', `${path} does not hold a private key in PEM form; --sign takes an ed25519 private key (PEM).`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new BurrowError('VALIDATION', `${path} holds an ${key.asymmetricKeyType ?? 'unknown'} key; --sign takes an ed25519 private key.`);
  return key;
}
