import { Command } from 'commander';
import { AGENT_VERSION } from '../node/agentVersion.js';
import { endQuietlyWhenOutputCloses, exitWithError } from './cliOutput.js';

endQuietlyWhenOutputCloses();

/**
 * The top-level commands, in the order --help lists them, each with the module that
 * registers it. A module is imported only when its command runs: evaluating the others
 * (their option tables, the zod schemas under them) was most of a short command's start-up.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  server: async () => (await import('./serverCommands.js')).registerServerCommands,
  admin: async () => (await import('./adminCommands.js')).registerAdminCommands,
  node: async () => (await import('./nodeCommands.js')).registerNodeCommands,
  ssh: async () => (await import('./sshCommand.js')).registerSshCommand,
  tcp: async () => (await import('./tcpCommand.js')).registerTcpCommand,
};

/** The first word of `argv` that is not an option (nor the value of --home), if any. */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return undefined;
    if (arg === '--home') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

const program = new Command('burrow')
  .description('Remote access to appliances behind NAT: an outbound tunnel from each node, a WebUI session port per browser.')
  .version(AGENT_VERSION)
  .showHelpAfterError('(run with --help for usage)')
  // Every command keeps its state in one home; a user types --home where it occurs to them
  // (`burrow admin --home X nodes`), so the program takes it anywhere on the line (before a
  // `--`) and hands it to the command that runs.
  .option('--home <dir>', 'state directory of this server, node or CLI login (env BURROW_HOME); may go anywhere on the line')
  .hook('preAction', (root, action) => {
    const home = root.opts<{ home?: string }>().home;
    if (home !== undefined) action.setOptionValue('home', home);
  });

// A known command registers alone; anything else (--help, `help`, a typo) gets all of
// them, so the usage, the help and the "did you mean" suggestions stay whole.
const word = commandWord(process.argv.slice(2));
const loaders = word !== undefined && Object.hasOwn(COMMANDS, word) ? [COMMANDS[word] as () => Promise<(program: Command) => void>] : Object.values(COMMANDS);

Promise.all(loaders.map((load) => load()))
  .then((registers) => {
    for (const register of registers) register(program);
    return program.parseAsync(process.argv);
  })
  .catch(exitWithError);
