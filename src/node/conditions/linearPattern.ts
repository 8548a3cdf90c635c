import v8 from 'node:v8';

// Lets a RegExp take the `l` flag: V8's linear-time engine, behind a flag in Node 20. It only
// adds a flag; patterns without it run on the usual backtracking engine as before.
v8.setFlagsFromString('--enable-experimental-regexp-engine');

/**
 * `pattern` compiled for V8's linear-time engine, whose running time grows with the line and
 * never with backtracking ("(a+)+", ".*.*x" and the like), or the error saying it cannot be
 * (backreferences and lookarounds need backtracking).
 */
export function linearPattern(pattern: string): RegExp | Error {
  try {
    // eslint-disable-next-line no-invalid-regexp -- 'l' exists once the flag above is set
    return new RegExp(pattern, 'l');
  } catch (err) {
    return err as Error;
  }
}
