import { Command } from 'commander';
import { AGENT_VERSION } from '../node/agentVersion.js';
import { registerAdminCommands } from './adminCommands.js';
import { endQuietlyWhenOutputCloses, exitWithError } from './cliOutput.js';
import { registerNodeCommands } from './nodeCommands.js';
import { registerServerCommands } from './serverCommands.js';
import { registerSshCommand } from './sshCommand.js';
import { registerTcpCommand } from './tcpCommand.js';

endQuietlyWhenOutputCloses();

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

registerServerCommands(program);
registerAdminCommands(program);
registerNodeCommands(program);
registerSshCommand(program);
registerTcpCommand(program);

program.parseAsync(process.argv).catch(exitWithError);
