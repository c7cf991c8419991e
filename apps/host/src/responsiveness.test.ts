import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, stopCommands } from './test-support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-host-responsive-'));
afterEach(stopCommands);

/** How long polling goes on after the work is done: deferred work (the Insights batch write) runs then. */
const AFTERMATH_MS = 1_000;

/**
 * The slowest /health answer while `work` runs and for a while after, polling
 * one request at a time. A responsiveness bound with a generous margin, not a speed figure.
 */
async function slowestHealthAnswer(port: number, work: { start: () => void; done: () => boolean }): Promise<{ slowestMs: number; answers: number }> {
  let slowestMs = 0;
  let answers = 0;
  let doneAt: number | undefined;
  work.start();
  while (doneAt === undefined || performance.now() - doneAt < AFTERMATH_MS) {
    if (doneAt === undefined && work.done()) doneAt = performance.now();
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    slowestMs = Math.max(slowestMs, performance.now() - started);
    answers++;
  }
  return { slowestMs, answers };
}

describe('osr-host serve stays responsive while a plugin sends hostile host calls', () => {
  // 4 MB arguments nested 2 million levels deep (the plugin thread builds them; kept modest so the test measures
  // the event loop, not two shared cores), to each slot that parses JSON, in-process and isolated.
  it.each([
    ['http_request', []],
    ['log_structured', []],
    ['db_exec', []],
    ['http_request', ['--isolate']],
  ] as const)('%s %j: /health answers within 100 ms throughout', async (slot, flags) => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const directory = join(home, 'Tools', 'hostile', '1.0.0');
    mkdirSync(directory, { recursive: true });
    copyFileSync(compilePlugin(fixtureSources.hostilePlugin), join(directory, 'libhostile.so'));
    // The fixture reads its plan from $HOME: an isolated plugin's HOME is its data directory, so both modes use that.
    const planDirectory = join(home, 'Tools', 'hostile', 'data');
    mkdirSync(planDirectory, { recursive: true });
    writeFileSync(join(planDirectory, 'attack'), `${slot} 2000000 0 8`);
    const go = join(planDirectory, 'go');
    const served = await startServe(['--dev', '--home', home, ...flags], { HOME: planDirectory });
    await fetch(`http://127.0.0.1:${served.port}/health`);
    const { slowestMs, answers } = await slowestHealthAnswer(served.port, {
      start: () => writeFileSync(go, ''),
      done: () => existsSync(`${go}.done`),
    });
    expect(answers).toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(100);
  }, 120_000);
});
