import { after, afterEach, before } from 'node:test';
import { Stack, type StackOptions } from './stack.js';

/**
 * Wires a Stack into the enclosing `describe`: started before its tests, stopped and
 * removed after them (failed or not), with the daemons' log tails printed under any
 * test that fails. Returns a getter for the running stack.
 */
export function stackSuite(o: StackOptions = {}): () => Stack {
  let stack: Stack | undefined;
  before(async () => {
    stack = await Stack.start(o);
  });
  afterEach((t) => {
    if (!t.passed && stack) process.stderr.write(`\n[${t.name}] failed; daemon logs:\n${stack.procs.logTails()}\n`);
  });
  after(async () => {
    await stack?.close();
  });
  return () => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };
}
