import { afterEach, describe, expect, it } from 'vitest';
import { type CliIo, runInsightsCli } from './cli.js';
import { ActivityStore } from './store.js';
import { hostCall, tempStore } from './test-support/store.js';
import { hostApiWarnings, WarningLog } from './warnings.js';

const disposers: (() => void)[] = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

function captured(extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), ...extra };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

function seeded() {
  const opened = tempStore();
  disposers.push(opened.dispose);
  const { store } = opened;
  store.record(hostCall({ slot: 'list_models', pluginId: 'a', durationMs: 4 }));
  store.record(hostCall({ slot: 'http_request', pluginId: 'b', status: 502, args: ['{"url":"https://x.example/"}'] }));
  store.record(hostCall({ slot: 'log_structured', pluginId: 'b', intArg: 3, status: 299, args: ['slow \u001b[2Jclear', '{"job":{"id":"j1"}}'] }));
  return opened;
}

describe('osr-host insights query', () => {
  it('prints matching rows newest first, including rows still queued', async () => {
    const { store } = seeded();
    const { io, out } = captured();
    expect(await runInsightsCli(['query', '--plugin', 'b'], io, store)).toBe(0);
    const lines = out().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S+Z b LOG {4}299 {5}0\.0ms \[WARN\] slow \\x1b\[2Jclear$/);
    expect(lines[1]).toContain('GET    502');
  });

  it('filters by payload, status and level, and prints JSON with bodies', async () => {
    const { store } = seeded();
    const { io, out } = captured();
    expect(await runInsightsCli(['query', '--payload', 'job.id=j1', '--level', 'warn', '--status', '200-299', '--json'], io, store)).toBe(0);
    const page = JSON.parse(out());
    expect(page.rows.map((row: { requestBody: string }) => row.requestBody)).toEqual(['{"job":{"id":"j1"}}']);
    expect(page.nextCursor).toBeNull();
  });

  it('pages with --limit and --cursor', async () => {
    const { store } = seeded();
    const first = captured();
    await runInsightsCli(['query', '--limit', '2'], first.io, store);
    const cursor = /--cursor (\S+)/.exec(first.err())![1]!;
    const second = captured();
    await runInsightsCli(['query', '--limit', '2', '--cursor', cursor], second.io, store);
    expect(second.out().trimEnd().split('\n')).toHaveLength(1);
    expect(second.out()).toContain(' a ');
  });

  it('colours statuses when asked', async () => {
    const { store } = seeded();
    const { io, out } = captured({ color: true });
    await runInsightsCli(['query', '--plugin', 'b', '--status', '502'], io, store);
    expect(out()).toContain('\u001b[31m502\u001b[0m');
  });

  it('answers bad usage with exit code 2 and a hint', async () => {
    const { store } = seeded();
    for (const argv of [['query', '--status', 'abc'], ['query', '--payload', 'novalue'], ['query', '--limit', '0'], ['frobnicate'], ['query', '--bogus'], [], ['query', '--home', '/tmp/x']]) {
      const { io, err } = captured();
      expect(await runInsightsCli(argv, io, store)).toBe(2);
      expect(err()).not.toBe('');
    }
  });

  it('opens the store for --home through the host and closes it afterwards', async () => {
    const { path, store } = seeded();
    store.flush();
    const homes: (string | undefined)[] = [];
    let opened: ActivityStore | undefined;
    const { io, out } = captured();
    const code = await runInsightsCli(['query', '--home', '/some/home', '--json'], io, (home) => {
      homes.push(home);
      opened = ActivityStore.open(path);
      return opened;
    });
    expect(code).toBe(0);
    expect(homes).toEqual(['/some/home']);
    expect(JSON.parse(out()).rows).toHaveLength(3);
    expect(() => opened!.query()).toThrowError(/closed/);
  });
});

describe('osr-host insights tail, warnings and stats', () => {
  it('tail prints the latest rows oldest first', async () => {
    const { store } = seeded();
    const { io, out } = captured();
    await runInsightsCli(['tail', '--limit', '2'], io, store);
    const lines = out().trimEnd().split('\n');
    expect(lines[0]).toContain('/host-api/http');
    expect(lines[1]).toContain('[WARN] slow');
  });

  it('tail -f keeps printing new matching rows until the signal aborts', async () => {
    const { store } = seeded();
    const controller = new AbortController();
    const lines: string[] = [];
    const io: CliIo = {
      stdout: (text) => {
        lines.push(text);
        if (text.includes('second live')) controller.abort();
      },
      stderr: () => {},
      signal: controller.signal,
      pollIntervalMs: 5,
    };
    const running = runInsightsCli(['tail', '-f', '--json', '--plugin', 'live'], io, store);
    store.record(hostCall({ slot: 'log', pluginId: 'live', intArg: 2, args: ['first live'] }));
    store.record(hostCall({ slot: 'log', pluginId: 'other', intArg: 2, args: ['not shown'] }));
    store.record(hostCall({ slot: 'log', pluginId: 'live', intArg: 2, args: ['second live'] }));
    expect(await running).toBe(0);
    expect(lines.map((line) => JSON.parse(line).path)).toEqual(['[INFO] first live', '[INFO] second live']);
  });

  it('warnings lists kept one-shot warnings', async () => {
    const { store } = seeded();
    new WarningLog({ store, print: () => {} }).warnOnce(hostApiWarnings.invalidTaskId('b', 'send_draft', 'nope'));
    const { io, out } = captured();
    await runInsightsCli(['warnings', '--plugin', 'b'], io, store);
    expect(out()).toContain('b|send_draft|invalid');
    expect(out()).toContain("called send_draft with an invalid UUID 'nope'");
  });

  it('stats prints per-plugin figures', async () => {
    const { store } = seeded();
    const { io, out } = captured();
    await runInsightsCli(['stats', '--json'], io, store);
    expect(JSON.parse(out())).toEqual([
      expect.objectContaining({ pluginId: 'a', calls: 1, errors: 0 }),
      expect.objectContaining({ pluginId: 'b', calls: 1, errors: 1, logs: 1 }),
    ]);
  });
});
