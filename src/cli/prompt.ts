import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { BurrowError } from '../shared/errors.js';

/** Reads a secret from a file (first line), refusing an empty one. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BurrowError('VALIDATION', `Cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
  const value = text.split(/\r?\n/)[0] ?? '';
  if (!value) throw new BurrowError('VALIDATION', `The ${what} file ${path} is empty.`);
  return value;
}

/** Asks for one line on the terminal; echo is off for secrets. Fails without a terminal. */
export async function ask(question: string, secret: boolean): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new BurrowError('VALIDATION', `${question.replace(/:\s*$/, '')} is needed; pass it as an option (there is no terminal to ask on).`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (secret) {
    // Print the prompt, then swallow echo of what is typed.
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    out._writeToOutput = (s: string) => {
      if (s.startsWith(question)) out.output.write(s);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    if (secret) process.stderr.write('\n');
    rl.close();
  }
}
