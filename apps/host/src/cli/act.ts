import type { Command } from 'commander';
import type { HostOptionValues } from './options.js';

/** A command's work: its positional arguments (a variadic one as an array) and its options. */
export type CommandHandler<Options = HostOptionValues> = (args: readonly (string | string[] | undefined)[], options: Options) => Promise<unknown>;

/**
 * Attaches a handler to a command. The documentation's command check builds the same program
 * with `check` set, so commands parse exactly as they run but do nothing.
 */
export type Act = <Options = HostOptionValues>(command: Command, handler: CommandHandler<Options>) => Command;

export function actions(check: boolean): Act {
  return (command, handler) =>
    command.action(async (...received: unknown[]) => {
      if (check) return;
      const self = received.at(-1) as Command;
      await handler(self.processedArgs as (string | string[] | undefined)[], self.opts() as never);
    });
}

/** `osr-host <command> --help` ends with these lines. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}
