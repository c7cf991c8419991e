import { Command, CommanderError } from 'commander';
import { describeLoadError, HOST_VERSION } from '../host.js';
import { actions } from './act.js';
import { registerAgentsCommand } from './commands/agents.js';
import { registerConfigCommand } from './commands/config.js';
import { registerDelegatedCommands } from './commands/delegated.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerPluginLibraryCommands } from './commands/plugin-library.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTasksCommand } from './commands/tasks.js';
import { registerToolsCommand } from './commands/tools.js';
import { colorEnabled, errorColors, EXIT, finish, UsageError } from './io.js';

const EXIT_CODES_HELP = `
Exit codes: 0 done; 1 the command ran and failed (the message says why and what to do);
2 the command line was wrong. invoke exits 0 whatever the tool answered.
Every command takes --help; --home falls back to $OSR_HOST_HOME, then ~/.osaurus.`;

/** What `createProgram({ check: true }).parse()` throws for a command line it refuses. */
export { CommanderError };

export interface ProgramOptions {
  /**
   * Parse only: every command parses its arguments and options as it would, then does
   * nothing. The documentation's command check uses this to hold the docs to the real CLI.
   */
  check?: boolean;
}

/** The `osr-host` command line: every command, its arguments, options, help and examples. */
export function createProgram(options: ProgramOptions = {}): Command {
  const program = new Command('osr-host')
    .description('Reference host for Osaurus native plugins: loads plugin libraries and serves their tools, routes and web UIs.')
    .version(HOST_VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help for the command')
    .helpCommand('help [command]', 'show help for a command')
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .configureOutput({ getOutHasColors: () => colorEnabled(process.stdout), getErrHasColors: () => colorEnabled(process.stderr) })
    .addHelpText('after', EXIT_CODES_HELP);
  if (options.check) program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const act = actions(options.check === true);
  registerServeCommand(program, act);
  registerPluginLibraryCommands(program, act);
  registerMcpCommand(program, act);
  registerToolsCommand(program, act);
  registerAgentsCommand(program, act);
  registerConfigCommand(program, act);
  registerKeysCommand(program, act);
  registerTasksCommand(program, act);
  registerDelegatedCommands(program, act);
  return program;
}

/**
 * Runs `osr-host <argv>`. Each command exits with its code when it is done (see EXIT);
 * `serve` returns once it serves, and the process lives on with its server.
 */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // Help and --version end the parse by throwing with exit code 0; every refused command line with 1.
    if (error instanceof CommanderError) return finish(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    if (error instanceof UsageError) return finish(EXIT.usage, '', `${errorColors.red('osr-host:')} ${error.message}`);
    return finish(EXIT.failed, '', `${errorColors.red('osr-host:')} ${describeLoadError(error)}`);
  }
}
