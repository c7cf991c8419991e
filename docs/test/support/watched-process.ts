import type { ChildProcess } from 'node:child_process';
import { type LogRecord, logRecords, logText } from '../../../apps/host/src/test-support/logs.ts';

/** A long-running child (serve, mcp, tools dev) whose stderr the test can wait on. */
export interface WatchedProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Its JSON log lines so far. */
  logs(): LogRecord[];
  /** What its log lines say so far (messages, `[<plugin>] <message>` for a plugin's; other lines as they are). */
  log(): string;
  /** Resolves with the first match of `pattern` in `log()`, now or later; rejects with its stderr if it ends or `timeoutMs` passes first. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null after a signal) once it ends. */
  exited: Promise<number | null>;
  /** Ctrl-C: sends `signal`, then SIGKILL if it is still there 10 s later; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Watches a child spawned with a piped stderr; `label` names it in failures. */
export function watchProcess(child: ChildProcess, label: string): WatchedProcess {
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const listener of [...listeners]) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    exited,
    stderr: () => stderr,
    logs: () => logRecords(stderr),
    log: () => logText(stderr),
    waitForLog: (pattern, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const fail = (why: string) => {
          if (listeners.delete(check)) reject(new Error(`${label} ${why} before printing ${pattern}:\n${stderr}`));
        };
        const timer = setTimeout(() => fail(`ran ${timeoutMs} ms`), timeoutMs);
        const check = () => {
          const match = pattern.exec(logText(stderr));
          if (!match) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        listeners.add(check);
        void exited.then((code) => {
          clearTimeout(timer);
          fail(`exited (${code ?? child.signalCode})`);
        });
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (!running()) return exited;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
