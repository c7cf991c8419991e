import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../../scripts/page.ts';
import { type LogRecord, logRecords, logText } from '../../../apps/host/src/test-support/logs.ts';
import { type WatchedProcess, watchProcess } from './watched-process.ts';

/** The built CLI, driven as an operator would run it. */
const osrHostCli = join(repositoryRoot, 'apps/host/dist/cli.js');

if (!existsSync(osrHostCli)) throw new Error(`${osrHostCli} is missing: build it first (npx nx run osr-host:build).`);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON log lines in stderr, and what they say (see `logText`). */
  logs: LogRecord[];
  log: string;
}

/** Runs `osr-host <args>` to the end; `input` is written to its stdin. */
export function osrHost(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [osrHostCli, ...args], { env: { ...process.env, ...options.env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, logs: logRecords(stderr), log: logText(stderr) }));
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running `osr-host` command (serve, mcp) whose stderr can be awaited. */
export type RunningCli = WatchedProcess;

export function startCli(args: readonly string[]): RunningCli {
  return watchProcess(spawn(process.execPath, [osrHostCli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }), `osr-host ${args[0]}`);
}

/** An MCP client speaking newline-delimited JSON-RPC to `osr-host mcp` over its stdin and stdout. */
export function mcpOverStdio(running: RunningCli): { request(method: string, params?: object): Promise<Record<string, unknown>>; notify(method: string): void } {
  let nextId = 1;
  let pending = '';
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  running.child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const message = JSON.parse(pending.slice(0, end)) as { id?: number } & Record<string, unknown>;
      pending = pending.slice(end + 1);
      if (message.id !== undefined) waiting.get(message.id)?.(message);
    }
  });
  const send = (message: object) => running.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  return {
    request: (method, params) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        send({ id, method, ...(params ? { params } : {}) });
      }),
    notify: (method) => send({ method }),
  };
}
