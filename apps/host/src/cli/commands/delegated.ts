import { ActivityStore, type INSIGHTS_CLI_COMMANDS, runInsightsCli } from '@osr-host/insights';
import { askRunningServe } from '@osr-host/lifecycle';
import { runManifestCli } from '@osr-host/manifest';
import { hostDatabasePath } from '@osr-host/storage';
import type { Command } from 'commander';
import { resolveHome } from '../../paths.js';
import { type Act, examples } from '../act.js';
import { colorEnabled, EXIT, fail, finish } from '../io.js';
import { type HostOptionValues, OPTION } from '../options.js';

const delegatedCommands = new WeakSet<Command>();

/** Whether `command` hands its words to a package's own parser (so takes none of the host's options). */
export function isDelegated(command: Command): boolean {
  return delegatedCommands.has(command);
}

/**
 * A command a package parses itself (its own options and `--help`): commander passes every word
 * after it through unchanged. The documentation's command check reads those packages' option
 * tables for them.
 */
function delegated(parent: Command, name: string, description: string): Command {
  const command = parent.command(name);
  delegatedCommands.add(command);
  return command.description(description).helpOption(false).allowUnknownOption().allowExcessArguments().passThroughOptions().argument('[arguments...]');
}

const INSIGHTS_DESCRIPTIONS: Record<keyof typeof INSIGHTS_CLI_COMMANDS, string> = {
  query: 'rows matching the filters, newest first (osr-host insights query --help)',
  tail: 'the newest rows; -f follows new ones (osr-host insights tail --help)',
  warnings: 'one-shot host warnings, per plugin',
  stats: 'counts, errors and latency per plugin and path',
};

export function registerDelegatedCommands(program: Command, act: Act): void {
  const insights = examples(program.command('insights').description('the activity log of every host call, route and tool call'), [
    'osr-host insights tail -f --plugin dev.osr.hello --level WARN,ERROR',
    'osr-host insights link',
  ]);
  for (const [name, description] of Object.entries(INSIGHTS_DESCRIPTIONS)) {
    act(delegated(insights, name, description), async ([words]) => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      const code = await runInsightsCli(
        [name, ...((words as string[] | undefined) ?? [])],
        { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text), color: colorEnabled(process.stdout), signal: stop.signal },
        (home) => ActivityStore.open(hostDatabasePath(resolveHome(home))),
      );
      return finish(code);
    });
  }
  act(insights.command('link').description('print a fresh one-time link to the dashboard of the running serve').addOption(OPTION.home()), (_args, options: HostOptionValues) =>
    insightsLink(resolveHome(options.home)),
  );
  act(delegated(program, 'manifest', 'validate a manifest file (osr-host manifest --help)'), async ([words]) => {
    const code = await runManifestCli((words as string[] | undefined) ?? [], { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    return finish(code);
  });
}

/** A new one-time dashboard link from the `serve` running on `home`. */
async function insightsLink(home: string): Promise<never> {
  const answer = await askRunningServe(home, 'insights-link');
  if (!answer) return fail(`No osr-host serve is running on ${home}; start one with \`osr-host serve --home ${home}\`, which prints a link too.`);
  if (!answer.ok) return fail(`The running serve refused (${answer.status}): ${answer.body}`);
  return finish(EXIT.ok, `${(JSON.parse(answer.body) as { url: string }).url}\n`);
}
