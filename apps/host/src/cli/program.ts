import { Command, CommanderError } from 'commander';
import { describeLoadError, HOST_VERSION } from '../host.js';
import { actions } from './act.js';
import { registerAgentsCommand } from './commands/agents.js';
import { registerConfigCommand } from './commands/config.js';
import { isDelegated, registerDelegatedCommands } from './commands/delegated.js';
import { registerKeysCommand } from './commands/keys.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerPluginLibraryCommands } from './commands/plugin-library.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTasksCommand } from './commands/tasks.js';
import { registerToolsCommand } from './commands/tools.js';
import { ConfigFileError, type LogFormat, readHostConfig } from '../host-config.js';
import { resolveHome } from '../paths.js';
import { colorEnabled, defaultLogFormat, EXIT, fail, finish, UsageError, useLogFormat } from './io.js';
import { type HostOptionValues, OPTION } from './options.js';

const EXIT_CODES_HELP = `
Exit codes: 0 done; 1 the command ran and failed (the message says why and what to do);
2 the command line or <home>/config/host.json was wrong. invoke exits 0 whatever the tool answered.
Log lines go to stderr: text on a terminal, JSON lines otherwise (--log-format json|pretty).
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
  addLogFormatOption(program);
  if (!options.check) program.hook('preAction', (_program, command) => configureFromHome(command));
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
    if (error instanceof UsageError || error instanceof ConfigFileError) return fail(error.message, EXIT.usage);
    return fail(describeLoadError(error));
  }
}

/**
 * `--log-format` before the command or after it: on the program and on every command that
 * parses its own options (delegated commands pass theirs through to their package).
 */
function addLogFormatOption(command: Command): void {
  if (isDelegated(command)) return;
  command.addOption(OPTION.logFormat());
  for (const sub of command.commands) addLogFormatOption(sub);
}

/**
 * Before a command runs: a command that works on a home reads and checks its host.json (a wrong
 * file stops every such command with exit 2, not just the one that reads the wrong key), then the
 * log format is chosen: --log-format (on the command or a parent), else host.json's logFormat,
 * else by terminal. A given --log-format applies first, so a host.json error is logged in it.
 */
function configureFromHome(command: Command): void {
  let chosen: LogFormat | undefined;
  for (let at: Command | null = command; at && !chosen; at = at.parent) chosen = (at.opts() as HostOptionValues).logFormat;
  if (chosen) useLogFormat(chosen);
  const home = command.options.some((option) => option.long === '--home') ? resolveHome((command.opts() as HostOptionValues).home) : undefined;
  const hostConfig = home === undefined ? {} : readHostConfig(home);
  useLogFormat(chosen ?? hostConfig.logFormat ?? defaultLogFormat());
}
