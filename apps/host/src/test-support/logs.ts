import type { Logger } from 'pino';
import { createLogger, type LogRecord, parseLogLines } from '../log.js';

export type { LogRecord };

/** A logger whose lines a test reads back as records (pushed onto `records`). */
export function memoryLogger(records: LogRecord[] = []): { logger: Logger; records: LogRecord[] } {
  return { logger: createLogger('json', { write: (line: string) => records.push(JSON.parse(line) as LogRecord) }), records };
}

/** The JSON log lines in a command's stderr. */
export const logRecords = parseLogLines;

/** What stderr says to a reader: each log line's message (`[<plugin>] <message>` for a plugin's), and any line that is not JSON as it is. */
export function logText(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => {
      const record = logRecords(line)[0];
      if (!record) return line;
      return record.plugin === undefined ? record.msg : `[${record.plugin}] ${record.msg}`;
    })
    .join('\n');
}
