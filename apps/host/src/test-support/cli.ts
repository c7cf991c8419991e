import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logRecords, logText } from './logs.js';

/** The built CLI: these tests drive `osr-host` as a user would. */
export const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  const child = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, ...(cwd ? { cwd } : {}) });
  return commandResult(child.status, child.signal, child.stdout, child.stderr);
}

/** What a finished command left: exit, stdout, raw stderr, and its log lines as records and as the text they say. */
function commandResult(code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string) {
  return { code, signal, stdout, stderr, logs: logRecords(stderr), log: logText(stderr) };
}

/** `runCli` without blocking this process, for commands that talk to a server the test itself runs. */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ReturnType<typeof runCli>> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(commandResult(code, signal, stdout, stderr))));
}

export interface RunningCommand {
  child: ChildProcess;
  /** Resolves with the n-th match of `pattern` in the messages of the command's log, whether they already came or are still to come. */
  waitFor(pattern: RegExp, n?: number): Promise<RegExpMatchArray>;
  stderr(): string;
  /** The messages of its log lines so far (`logText`). */
  log(): string;
}

const started = new Set<ChildProcess>();

/** Starts a long-running command (serve, tools dev); `stopCommands` in afterEach ends them. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCommand {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(child);
  let stderr = '';
  const nthMatch = (pattern: RegExp, n: number) => [...logText(stderr).matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))][n - 1];
  const waiters = new Set<() => void>();
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const check of [...waiters]) check();
  });
  return {
    child,
    stderr: () => stderr,
    log: () => logText(stderr),
    waitFor: (pattern, n = 1) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = nthMatch(pattern, n);
          if (!match) return;
          waiters.delete(check);
          resolve(match);
        };
        waiters.add(check);
        child.once('exit', (code, signal) => {
          if (waiters.delete(check)) reject(new Error(`osr-host ${args[0]} exited (${signal ?? code}) before printing ${pattern}:\n${stderr}`));
        });
        check();
      }),
  };
}

/** `osr-host serve` on a free port; resolves once it serves. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCommand & { port: number }> {
  const running = startCli(['serve', '--port', '0', ...args], env);
  const [, port] = await running.waitFor(/serving on http:\/\/127\.0\.0\.1:(\d+)/);
  return { ...running, port: Number(port) };
}

export function stopCommands(): void {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
}
