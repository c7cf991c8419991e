import { DispatchError } from './errors.js';
import type { TaskManager } from './manager.js';
import type { TaskRecord } from './session-store.js';
import { UNFINISHED_STATUSES } from './task.js';
import { isTerminal, type TaskEvent } from './task-events.js';

/** Where `osr-host tasks` writes, and what stops `watch`. */
export interface TasksCliIo {
  out(line: string): void;
  err(line: string): void;
  /** Ends `watch` (Ctrl-C). */
  signal?: AbortSignal;
}

const USAGE = [
  'usage: osr-host tasks list [--json]',
  '       osr-host tasks watch [<task_id>]',
  '       osr-host tasks cancel <task_id>',
  '       osr-host tasks answer <task_id> <text>',
].join('\n');

/**
 * `osr-host tasks …` (argv: the words after `tasks`). Resolves with the exit
 * code: 0 done, 1 the task could not be acted on, 2 usage.
 */
export async function runTasksCli(argv: readonly string[], io: TasksCliIo, manager: TaskManager): Promise<number> {
  const [command, taskId, ...rest] = argv;
  switch (command) {
    case 'list':
      if (rest.length > 0 || (taskId !== undefined && taskId !== '--json')) break;
      return list(io, manager, taskId === '--json');
    case 'watch':
      return watch(io, manager, taskId);
    case 'cancel':
      if (!taskId || rest.length > 0) break;
      if (manager.cancel(taskId)) {
        io.out(`cancelled ${taskId.toUpperCase()}`);
        return 0;
      }
      io.err(`osr-host: no active task ${taskId} in this host process; see \`osr-host tasks list\`.`);
      return 1;
    case 'answer':
      if (!taskId || rest.length === 0) break;
      try {
        manager.answer(taskId, rest.join(' '));
      } catch (error) {
        if (!(error instanceof DispatchError)) throw error;
        io.err(`osr-host: ${error.message}`);
        return 1;
      }
      io.out(`answered ${taskId.toUpperCase()}`);
      return 0;
  }
  io.err(USAGE);
  return 2;
}

const LIST_HEADER = ['TASK', 'STATUS', 'PLUGIN', 'AGENT', 'UPDATED', 'TITLE', 'DETAIL'];
const UNFINISHED = new Set<string>(UNFINISHED_STATUSES);

function list(io: TasksCliIo, manager: TaskManager, json: boolean): number {
  const live = new Map(manager.list().map((task) => [task.id, task]));
  const rows = manager.history();
  if (json) {
    io.out(JSON.stringify(rows.map((row) => ({ ...row, question: live.get(row.taskId)?.question ?? null })), null, 2));
    return 0;
  }
  if (rows.length === 0) {
    io.out('no tasks');
    return 0;
  }
  io.out(LIST_HEADER.join('\t'));
  for (const row of rows) {
    io.out([row.taskId, row.status, row.pluginId, row.agentId, row.updatedAt, row.title, detail(row, live.get(row.taskId)?.question)].join('\t'));
  }
  return 0;
}

/** What an operator needs next to a status: the pending question, or why the task ended (its summary). */
function detail(row: TaskRecord, question: string | null | undefined): string {
  if (question) return `asks ${JSON.stringify(question)}`;
  return row.summary && !UNFINISHED.has(row.status) ? oneLine(row.summary) : '';
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Prints events as they are emitted until the signal aborts, or until `taskId` (if given) ends.
 * A task that has already ended prints its final state at once; an unknown one is an error.
 */
function watch(io: TasksCliIo, manager: TaskManager, taskId: string | undefined): Promise<number> {
  const only = taskId?.toUpperCase();
  if (only && !manager.list().some((task) => task.id === only && UNFINISHED.has(task.status))) {
    const ended = manager.historyOf(only);
    if (!ended) {
      io.err(`osr-host: no task ${taskId} in this host's history; see \`osr-host tasks list\`.`);
      return Promise.resolve(1);
    }
    if (!UNFINISHED.has(ended.status)) {
      io.out([ended.updatedAt, ended.taskId, ended.status.toUpperCase(), JSON.stringify({ status: ended.status, summary: ended.summary, title: ended.title })].join('\t'));
      return Promise.resolve(0);
    }
  }
  return new Promise((resolve) => {
    const stop = () => {
      manager.events.off('taskEvent', onEvent);
      io.signal?.removeEventListener('abort', stop);
      resolve(0);
    };
    const onEvent = (event: TaskEvent) => {
      if (only && event.taskId !== only) return;
      io.out([new Date().toISOString(), event.taskId, event.name, event.json].join('\t'));
      if (only && isTerminal(event.name)) stop();
    };
    if (io.signal?.aborted) return resolve(0);
    manager.events.on('taskEvent', onEvent);
    io.signal?.addEventListener('abort', stop);
  });
}
