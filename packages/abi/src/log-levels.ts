/** Log levels 0–4 of the log slots (HOST_API.md §4), by number; any other value is shown as LOG. */
export const LOG_LEVEL_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number] | 'LOG';

/** The level number's name; LOG for a number outside 0–4. */
export function logLevelName(level: number): LogLevelName {
  return LOG_LEVEL_NAMES[level] ?? 'LOG';
}

/** Upstream's Insights status for a log level: WARN 299, ERROR 500, everything else 200 (INSIGHTS.md §1). */
export function logLevelStatus(level: number): number {
  return logLevelName(level) === 'WARN' ? 299 : logLevelName(level) === 'ERROR' ? 500 : 200;
}
