import { Command } from 'commander';
import { AGENT_VERSION } from '../node/agentVersion.js';
import { registerAdminCommands } from './adminCommands.js';
import { endQuietlyWhenOutputCloses, exitWithError } from './cliOutput.js';
import { registerNodeCommands } from './nodeCommands.js';
import { registerServerCommands } from './serverCommands.js';
import { registerSshCommand } from './sshCommand.js';

endQuietlyWhenOutputCloses();

const program = new Command('burrow')
  .description('Remote access to appliances behind NAT: an outbound tunnel from each node, a WebUI session port per browser.')
  .version(AGENT_VERSION)
  .showHelpAfterError('(run with --help for usage)');

registerServerCommands(program);
registerAdminCommands(program);
registerNodeCommands(program);
registerSshCommand(program);

program.parseAsync(process.argv).catch(exitWithError);
