import pc from 'picocolors';

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
export const errorColors = pc.createColors(colorEnabled(process.stderr));

/** `1 tool`, `2 tools`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Writes, then exits once the text is flushed: a plugin thread stuck forever must not keep the process alive. */
export function finish(code: number, stdout = '', stderr = ''): Promise<never> {
  return new Promise(() => {
    if (stderr) process.stderr.write(stderr.endsWith('\n') ? stderr : `${stderr}\n`);
    process.stdout.write(stdout, () => process.exit(code));
  });
}

/** A failure of the command itself, in the CLI's one style: `osr-host: <what went wrong, and what to do>`. */
export function fail(message: string): Promise<never> {
  return finish(EXIT.failed, '', `${errorColors.red('osr-host:')} ${message}`);
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
