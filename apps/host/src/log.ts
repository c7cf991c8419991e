import { logLevelName } from '@osr-host/abi';
import { type PluginLogEntry, printable } from '@osr-host/insights';
import { type Logger, pino } from 'pino';
import type pc from 'picocolors';
import type { LogFormat } from './host-config.js';

export type { Logger };

type Colors = ReturnType<(typeof pc)['createColors']>;

/** Where log lines go: standard error, or a test's buffer. */
export interface LogSink {
  write(line: string): unknown;
}

/** The level a plugin log (0 trace … 4 error, anything else LOG) is written at. */
const PLUGIN_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', LOG: 'info' } as const;

/**
 * The host's logger: level names and ISO times in every line, every level written (a plugin's
 * trace and debug logs are shown, as before). `json` writes one JSON object per line; `pretty` writes
 * `HH:MM:SS LEVEL message key=value`, in colour when `colors` paints.
 */
export function createLogger(format: LogFormat, sink: LogSink, colors?: Colors): Logger {
  return pino(
    {
      base: undefined,
      level: 'trace',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    format === 'json' ? sink : prettySink(sink, colors),
  );
}

/** One JSON log line as `createLogger('json', …)` writes it. */
export interface LogRecord {
  level: string;
  time: string;
  msg: string;
  plugin?: string;
  [field: string]: unknown;
}

/** The JSON log lines in a process's stderr; any other line (a usage error from the parser) is left out. */
export function parseLogLines(text: string): LogRecord[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogRecord];
    } catch {
      return [];
    }
  });
}

/** Writes plugin logs (from the host API's `log` slots) through one child logger per plugin, carrying its id. */
export function pluginLogWriter(logger: Logger): (log: PluginLogEntry) => void {
  const children = new Map<string, Logger>();
  return (log) => {
    let child = children.get(log.pluginId);
    if (!child) {
      child = logger.child({ plugin: log.pluginId });
      children.set(log.pluginId, child);
    }
    const level = PLUGIN_LEVELS[logLevelName(log.level)];
    if (log.payload === null) child[level](log.message);
    else child[level]({ payload: log.payload }, log.message);
  };
}

const LEVEL_COLOR = { trace: 'dim', debug: 'dim', info: 'green', warn: 'yellow', error: 'red', fatal: 'red' } as const;

/** Turns pino's JSON lines into text for a person; plugin-chosen text is shown escaped, never acted on. */
function prettySink(sink: LogSink, colors: Colors | undefined): LogSink {
  return {
    write(line: string) {
      const { level, time, msg, plugin, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const paint = (color: keyof Colors, text: string) => (colors ? (colors[color] as (text: string) => string)(text) : text);
      const label = String(level);
      const clock = typeof time === 'string' ? new Date(time).toTimeString().slice(0, 8) : '';
      const extra = Object.entries(fields).map(([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      const said = `${String(msg ?? '')}${extra.join('')}`;
      // A plugin's text is escaped, as on upstream's console; the host's own may span lines.
      const text = plugin === undefined ? said : printable(`[${String(plugin)}] ${said}`);
      sink.write(`${paint('dim', clock)} ${paint(LEVEL_COLOR[label as keyof typeof LEVEL_COLOR] ?? 'reset', label.toUpperCase().padEnd(5))} ${text}\n`);
    },
  };
}
