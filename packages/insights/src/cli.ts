import { parseArgs } from 'node:util';
import { printable } from './console.js';
import { InsightsError } from './errors.js';
import { type FilterText, parseFilter } from './filters.js';
import type { ActivityRow } from './schema.js';
import type { ActivityStore } from './store.js';

/** Where the command writes, and how it is stopped. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** ANSI colours (the host passes `process.stdout.isTTY`). */
  color?: boolean;
  /** Ends `tail -f` (the host aborts it on SIGINT). */
  signal?: AbortSignal;
  now?: () => number;
  /** How often `tail -f` looks for new rows (default 500 ms). */
  pollIntervalMs?: number;
}

/** The store to read, or how to open it for `--home DIR` (undefined: the host's default home). */
export type CliStoreSource = ActivityStore | ((home: string | undefined) => ActivityStore);

export const INSIGHTS_CLI_USAGE = `Usage: osr-host insights <command> [options]

Commands:
  query      rows matching the filters, newest first (one page; --cursor for the next)
  tail       the latest rows, oldest first; -f keeps printing new ones until interrupted
  warnings   one-shot [PluginHostAPI] warnings kept in the store
  stats      per-plugin calls, error rate and latency percentiles

Filters (query, tail, stats):
  --plugin ID        --agent UUID          --path TEXT (method or path substring)
  --status N|N-M     --level L[,L…]        --since T  --until T (ISO time, epoch ms, or 30s/15m/2h/7d ago)
  --payload KEY=VALUE (repeatable; dotted keys reach into objects)   --text TEXT

Options:
  --json      machine-readable output (tail: one JSON row per line)
  --limit N   rows per page (query, default 50) or rows shown before following (tail, default 20)
  --cursor C  the next page of a previous query
  -f, --follow  (tail) keep printing new rows
  --home DIR  the host home whose store to read
`;

/** The options `osr-host insights` parses (node:util `parseArgs`, strict). */
export const INSIGHTS_CLI_OPTIONS = {
  plugin: { type: 'string' },
  agent: { type: 'string' },
  path: { type: 'string' },
  status: { type: 'string' },
  level: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  payload: { type: 'string', multiple: true },
  text: { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  home: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type InsightsCliOption = keyof typeof INSIGHTS_CLI_OPTIONS;
const FILTER_OPTIONS = ['plugin', 'agent', 'path', 'status', 'level', 'since', 'until', 'payload', 'text'] as const satisfies readonly InsightsCliOption[];

/** Each command of `osr-host insights` and the options it reads (`--help` goes with any). */
export const INSIGHTS_CLI_COMMANDS = {
  query: [...FILTER_OPTIONS, 'json', 'limit', 'cursor', 'home'],
  tail: [...FILTER_OPTIONS, 'json', 'limit', 'follow', 'home'],
  warnings: ['plugin', 'json', 'home'],
  stats: [...FILTER_OPTIONS, 'json', 'home'],
} as const satisfies Record<string, readonly InsightsCliOption[]>;

const ANSI = { reset: '\u001b[0m', dim: '\u001b[2m', green: '\u001b[32m', yellow: '\u001b[33m', red: '\u001b[31m', cyan: '\u001b[36m' };

function statusColor(status: number): string {
  return status >= 500 ? ANSI.red : status >= 400 || status === 299 ? ANSI.yellow : ANSI.green;
}

/** One row as a terminal line; plugin text is made printable so it cannot move the cursor or fake a line. */
export function formatRowLine(row: ActivityRow, color: boolean): string {
  const paint = (code: string, text: string) => (color ? `${code}${text}${ANSI.reset}` : text);
  const time = new Date(row.ts).toISOString();
  const duration = `${row.durationMs.toFixed(1)}ms`.padStart(9);
  return [
    paint(ANSI.dim, time),
    paint(ANSI.cyan, printable(row.pluginId)),
    row.method.padEnd(6),
    paint(statusColor(row.status), String(row.status)),
    duration,
    printable(row.path),
  ].join(' ');
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InsightsError('invalid_argument', `--${name} takes a positive whole number, got ${JSON.stringify(text)}.`);
  return value;
}

/**
 * `osr-host insights …`: query, tail (-f), warnings and stats over the
 * activity store. Returns the exit code (0 done, 2 bad usage).
 */
export async function runInsightsCli(argv: readonly string[], io: CliIo, source: CliStoreSource): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof INSIGHTS_CLI_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: INSIGHTS_CLI_OPTIONS, allowPositionals: true });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${INSIGHTS_CLI_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    (command === undefined && !values.help ? io.stderr : io.stdout)(INSIGHTS_CLI_USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!Object.hasOwn(INSIGHTS_CLI_COMMANDS, command) || positionals.length > 1) {
    io.stderr(`Unknown command ${JSON.stringify(positionals.join(' '))}.\n\n${INSIGHTS_CLI_USAGE}`);
    return 2;
  }
  const now = io.now ?? Date.now;
  const color = io.color ?? false;
  let store: ActivityStore;
  let ownsStore = false;
  try {
    if (typeof source === 'function') {
      store = source(values.home);
      ownsStore = true;
    } else if (values.home !== undefined) {
      throw new InsightsError('invalid_argument', '--home is not available here: this command reads the store it was given.');
    } else {
      store = source;
    }
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return 2;
  }
  try {
    const text: FilterText = { ...values, payload: values.payload ?? [] };
    const filter = parseFilter(text, now());
    switch (command) {
      case 'query': {
        store.flush();
        const page = store.query(filter, { limit: positive('limit', values.limit, 50), cursor: values.cursor ?? null });
        if (values.json) io.stdout(`${JSON.stringify(page)}\n`);
        else {
          for (const row of page.rows) io.stdout(`${formatRowLine(row, color)}\n`);
          if (page.rows.length === 0) io.stderr('No rows match.\n');
          if (page.nextCursor) io.stderr(`More rows: add --cursor ${page.nextCursor}\n`);
        }
        return 0;
      }
      case 'tail':
        await tail(store, filter, positive('limit', values.limit, 20), values.follow ?? false, values.json ?? false, io, color);
        return 0;
      case 'warnings': {
        const warnings = store.warnings(values.plugin ? { pluginId: values.plugin } : {});
        if (values.json) io.stdout(`${JSON.stringify(warnings)}\n`);
        else for (const warning of warnings) io.stdout(`${new Date(warning.ts).toISOString()} ${printable(warning.key)}\n  ${printable(warning.message)}\n`);
        if (!values.json && warnings.length === 0) io.stderr('No warnings.\n');
        return 0;
      }
      default: {
        store.flush();
        const stats = store.stats(filter);
        if (values.json) io.stdout(`${JSON.stringify(stats)}\n`);
        else {
          for (const entry of stats) {
            io.stdout(
              `${printable(entry.pluginId)}: ${entry.calls} calls, ${(entry.errorRate * 100).toFixed(1)}% errors, p50 ${entry.p50Ms.toFixed(1)}ms, p95 ${entry.p95Ms.toFixed(1)}ms, p99 ${entry.p99Ms.toFixed(1)}ms, ${entry.logs} logs\n`,
            );
          }
        }
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof InsightsError && error.code === 'invalid_argument') {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    if (ownsStore) store.close();
  }
}

async function tail(store: ActivityStore, filter: ReturnType<typeof parseFilter>, count: number, follow: boolean, json: boolean, io: CliIo, color: boolean): Promise<void> {
  const print = (rows: ActivityRow[]) => {
    for (const row of rows) io.stdout(json ? `${JSON.stringify(row)}\n` : `${formatRowLine(row, color)}\n`);
  };
  store.flush();
  const latest = store.query(filter, { limit: count }).rows.reverse();
  print(latest);
  if (!follow || io.signal?.aborted) return;
  const stop = store.follow(store.latestId(), filter, print, io.pollIntervalMs ?? 500);
  await new Promise<void>((resolve) => io.signal?.addEventListener('abort', () => resolve(), { once: true }));
  stop();
}
