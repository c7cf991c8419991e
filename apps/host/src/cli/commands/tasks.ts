import { runTasksCli } from '@osr-host/dispatch';
import { forwardTasksCommand, runningServe } from '@osr-host/lifecycle';
import type { Command } from 'commander';
import { OsrHost } from '../../host.js';
import { resolveHome } from '../../paths.js';
import { type Act, examples } from '../act.js';
import { finish } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';

/**
 * Background tasks live in the host process that runs them: with a `serve` running on this
 * home, the command runs there (through its admin endpoint, streamed, so `watch` follows
 * live); otherwise it runs here, where `list` still reads the task history.
 */
async function runTasks(argv: string[], options: HostOptionValues): Promise<never> {
  const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };
  const running = runningServe(resolveHome(options.home));
  if (running) {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    return finish(await forwardTasksCommand(running, argv, { ...io, signal: stop.signal }));
  }
  const host = new OsrHost(hostOptions(options));
  const code = await runTasksCli(argv, io, host.tasks);
  await host.close();
  return finish(code);
}

export function registerTasksCommand(program: Command, act: Act): void {
  const tasks = examples(program.command('tasks').description('background tasks plugins dispatched (asks the running serve, if any)'), [
    'osr-host tasks list',
    'osr-host tasks watch 3F2A64B1-0C47-4E52-9A5B-7D8E9F0A1B2C',
    'osr-host tasks answer 3F2A64B1-0C47-4E52-9A5B-7D8E9F0A1B2C use the staging database',
  ]);
  const subcommand = (name: string, description: string) => withHostRuntime(tasks.command(name).description(description));
  act(subcommand('list', 'recent tasks with their status and why each ended').addOption(OPTION.json()), (_args, options: HostOptionValues) =>
    runTasks(['list', ...(options.json ? ['--json'] : [])], options),
  );
  act(subcommand('watch', "print task events as they happen (one task's until it ends)").argument('[task_id]'), ([taskId], options: HostOptionValues) =>
    runTasks(['watch', ...(taskId ? [taskId as string] : [])], options),
  );
  act(subcommand('cancel', 'cancel a running task').argument('<task_id>'), ([taskId], options: HostOptionValues) => runTasks(['cancel', taskId as string], options));
  act(subcommand('answer', "answer a task's clarification question").argument('<task_id>').argument('<text...>'), ([taskId, text], options: HostOptionValues) =>
    runTasks(['answer', taskId as string, ...(text as string[])], options),
  );
}
