import pc from 'picocolors';
import type { LogFormat } from '../host-config.js';
import { createLogger, type Logger } from '../log.js';

/**
 * Exit codes of every `osr-host` command: 0 done, 1 the command ran and failed (a plugin
 * did not load, a key was not found, the host refused), 2 the command line was wrong.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line the CLI cannot run; exits 2 with the message and a pointer to `--help`. */
export class UsageError extends Error {}

/**
 * Whether to paint what goes to `stream`: never with NO_COLOR, always with a non-empty FORCE_COLOR
 * (but 0 or false), else only on a terminal that has colours. picocolors paints; it is not asked
 * to decide, because it also turns colours on whenever CI is set, even into a pipe.
 */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && stream.hasColors();
}

/** Colours for standard output and for standard error, each on only where it is shown in colour. */
export const colors = pc.createColors(colorEnabled(process.stdout));
const errorColors = pc.createColors(colorEnabled(process.stderr));

/** Without `--log-format` or host.json's `logFormat`: text on a terminal, JSON lines for a supervisor or a pipe. */
export function defaultLogFormat(): LogFormat {
  return process.stderr.isTTY ? 'pretty' : 'json';
}

let processLogger = createLogger(defaultLogFormat(), process.stderr, errorColors);

/** The logger of this process's status lines, warnings and plugin logs (standard error); command results go to stdout. */
export function logger(): Logger {
  return processLogger;
}

/** Chooses the log format once the command line and host.json are read. */
export function useLogFormat(format: LogFormat): void {
  processLogger = createLogger(format, process.stderr, errorColors);
}

/** `1 tool`, `2 tools`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Writes the result to stdout and logs `note` (info), then exits once the text is flushed:
 * a plugin thread stuck forever must not keep the process alive.
 */
export function finish(code: number, stdout = '', note = ''): Promise<never> {
  return new Promise(() => {
    if (note) processLogger.info(note);
    process.stdout.write(stdout, () => process.exit(code));
  });
}

/** A failure of the command: logs what went wrong and what to do (error), then exits with `code`. */
export function fail(message: string, code: number = EXIT.failed): Promise<never> {
  processLogger.error(message);
  return finish(code);
}

/** Rows as aligned columns under a header, for the listing commands (`--json` prints the objects instead). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[colors.bold(line(header)), ...rows.map(line)].join('\n')}\n`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
