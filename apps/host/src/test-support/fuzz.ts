import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import type { SecretStoreBackend } from '@osr-host/config-keychain';
import { OsrHost } from '../host.js';
import { createLogger } from '../log.js';

export interface FuzzOptions {
  /** Host calls in all (spread over the tool's thread and `threads` spawned ones). */
  calls: number;
  isolate: boolean;
  seed?: number;
  /** Threads the tool spawns besides its own. Default 7. */
  threads?: number;
  /** Longest string argument in bytes. */
  maxBytes: number;
  /** Deepest nested JSON argument. */
  maxDepth: number;
  /** Host calls per tool invocation. Default 5,000. */
  callsPerInvoke?: number;
  /** Where `config_set` values go. Default the encrypted file (the host's choice without a keychain). */
  secretBackend?: SecretStoreBackend;
  /** Told after each invocation (for long runs). */
  onProgress?: (report: FuzzReport) => void;
}

export interface FuzzReport {
  calls: number;
  /** Host calls that returned a string (released with free_string). */
  answers: number;
  /** Invocations whose plugin died (in-process that would have been the host). */
  crashes: number;
  /** Invocations that timed out. */
  hangs: number;
  /** Host resident memory, and the plugin process's when isolated, in MiB. */
  hostRssBefore: number;
  hostRssAfter: number;
  pluginRssBefore?: number;
  pluginRssAfter?: number;
  elapsedMs: number;
}

const MIB = 1024 * 1024;

function processRss(pid: number): number | undefined {
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kilobytes === undefined ? undefined : Math.round(Number(kilobytes) / 1024);
}

/**
 * Loads the fuzz plugin into a host of its own (fresh home, no network allowed, file-backed
 * secrets) and has it make `calls` random host calls. The first invocation warms the host up; RSS
 * is read after it and at the end.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const home = mkdtempSync(join(tmpdir(), 'osr-fuzz-'));
  const host = new OsrHost({
    home,
    isolate: options.isolate,
    secretBackend: options.secretBackend ?? 'encrypted-file',
    timeouts: { tool: 600_000 },
    logger: createLogger('json', { write: () => undefined }),
  });
  const report: FuzzReport = { calls: 0, answers: 0, crashes: 0, hangs: 0, hostRssBefore: 0, hostRssAfter: 0, elapsedMs: 0 };
  const started = Date.now();
  try {
    const library = uniqueLibraryCopy(compilePlugin(fixtureSources.fuzzPlugin), join(home, 'lib'));
    const plugin = (await host.loadLibrary(library, { pluginId: 'fuzz.plugin' })).plugin;
    const pluginPid = () => (plugin as { processId?: number }).processId;
    const perInvoke = options.callsPerInvoke ?? 5_000;
    const seed = options.seed ?? 1;
    for (let invocation = 0; report.calls < options.calls; invocation++) {
      const calls = Math.min(perInvoke, options.calls - report.calls);
      const payload = `${seed * 1_000_003 + invocation} ${calls} ${options.threads ?? 7} ${options.maxBytes} ${options.maxDepth}`;
      const answer = JSON.parse(await plugin.invokeTool('fuzz', payload, { agentId: host.defaultAgentId() })) as {
        ok: boolean;
        kind?: string;
        result?: { calls: number; answers: number };
      };
      if (answer.ok && answer.result) {
        report.calls += answer.result.calls;
        report.answers += answer.result.answers;
      } else if (answer.kind === 'timeout') {
        report.hangs++;
        report.calls += calls;
      } else {
        report.crashes++;
        report.calls += calls;
      }
      if (invocation === 0) {
        report.hostRssBefore = Math.round(process.memoryUsage().rss / MIB);
        const pid = pluginPid();
        if (pid !== undefined) report.pluginRssBefore = processRss(pid);
      }
      report.elapsedMs = Date.now() - started;
      options.onProgress?.({ ...report, hostRssAfter: Math.round(process.memoryUsage().rss / MIB) });
    }
    report.hostRssAfter = Math.round(process.memoryUsage().rss / MIB);
    const pid = pluginPid();
    if (pid !== undefined) report.pluginRssAfter = processRss(pid);
  } finally {
    report.elapsedMs = Date.now() - started;
    await host.close();
    rmSync(home, { recursive: true, force: true });
  }
  return report;
}
