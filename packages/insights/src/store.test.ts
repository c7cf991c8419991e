import { openHostDatabase } from '@osr-host/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { InsightsError } from './errors.js';
import { insightsMigrations } from './schema.js';
import { ActivityStore, type ActivityStoreOptions, type PluginLogEntry } from './store.js';
import { hostCall, tempStore } from './test-support/store.js';

const disposers: (() => void)[] = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
});

function open(options: ActivityStoreOptions = {}) {
  const opened = tempStore(options);
  disposers.push(opened.dispose);
  return opened;
}

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const AGENT = '5B0A8A4E-1111-4222-8333-444455556666';

describe('ActivityStore: queued writes', () => {
  it('writes nothing until a flush, then everything in one batch', () => {
    const { store } = open();
    for (let index = 0; index < 1200; index += 1) store.record(hostCall({ slot: 'list_models' }));
    expect(store.pendingCount).toBe(1200);
    expect(store.latestId()).toBe(0);
    expect(store.flush()).toBe(1200);
    expect(store.pendingCount).toBe(0);
    expect(store.latestId()).toBe(1200);
    expect(store.flush()).toBe(0);
  });

  it('writes a batch by itself after the flush interval', async () => {
    const { store } = open({ flushIntervalMs: 1 });
    store.record(hostCall({ slot: 'list_models' }));
    await new Promise<void>((resolve) => {
      const check = () => (store.pendingCount === 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(store.query().rows).toHaveLength(1);
  });

  it('keeps rows across reopening the file, so rows of one-shot runs can be queried later', () => {
    const first = open();
    first.store.record(hostCall({ slot: 'log', intArg: 2, args: ['from an invoke run'] }));
    first.store.close();
    const second = ActivityStore.open(first.path);
    disposers.push(() => second.close());
    expect(second.query().rows.map((row) => row.path)).toEqual(['[INFO] from an invoke run']);
  });

  it('works inside a host database the host opened with several migration lists', () => {
    const { path } = open();
    const db = openHostDatabase(`${path}.shared`, { migrations: [insightsMigrations] });
    disposers.push(() => db.$client.close());
    const store = new ActivityStore(db);
    store.record(hostCall({ slot: 'list_models' }));
    store.flush();
    expect(store.query().rows).toHaveLength(1);
  });

  it('refuses a database without its tables, saying how to open it', () => {
    const { path } = open();
    const db = openHostDatabase(`${path}.bare`);
    disposers.push(() => db.$client.close());
    expect(() => new ActivityStore(db)).toThrowError(expect.objectContaining({ code: 'not_migrated', message: expect.stringContaining('insightsMigrations') }));
  });

  it('prints console lines for accepted logs only, with control characters defused', () => {
    const lines: string[] = [];
    const logs: PluginLogEntry[] = [];
    const { store } = open({ consoleLine: (line, log) => {
        lines.push(line);
        logs.push(log);
      }, logsPerSecondPerPlugin: 1, now: () => 0 });
    store.record(hostCall({ slot: 'log_structured', intArg: 3, args: ['low disk\n[Plugin:other] forged', '{"free":1}'] }));
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['throttled'] }));
    store.record(hostCall({ slot: 'list_models' }));
    expect(lines).toEqual(['[Plugin:com.example.echo] [WARN] low disk\\x0a[Plugin:other] forged {"free":1}']);
    // The same log as fields, for a structured logger (which escapes text its own way).
    expect(logs).toEqual([{ pluginId: 'com.example.echo', level: 3, message: 'low disk\n[Plugin:other] forged', payload: '{"free":1}' }]);
  });

  it('writes rows a host built itself alongside recorded calls', () => {
    const { store } = open();
    store.append({
      ts: Date.now(),
      pluginId: 'com.example.web',
      agentId: null,
      frame: null,
      slot: 'route',
      kind: 'call',
      method: 'GET',
      path: '/plugins/com.example.web/app',
      status: 200,
      durationMs: 2,
      level: null,
      model: null,
      requestBody: null,
      responseBody: null,
      payload: null,
      requestBytes: 0,
      responseBytes: 10,
    });
    store.record(hostCall({ slot: 'list_models' }));
    store.flush();
    expect(store.query().rows.map((row) => row.path)).toEqual(['/host-api/models', '/plugins/com.example.web/app']);
  });

  it('writes a host-built row that leaves its optional columns out', () => {
    const { store } = open();
    store.append({
      ts: Date.now(),
      pluginId: 'com.example.crashy',
      slot: 'process',
      kind: 'log',
      method: 'LOG',
      path: '[ERROR] crashed (SIGSEGV)',
      status: 500,
      durationMs: 0,
      requestBytes: 0,
      responseBytes: 0,
    });
    store.flush();
    expect(store.query().rows).toEqual([expect.objectContaining({ pluginId: 'com.example.crashy', model: null, payload: null, agentId: null })]);
  });

  it('ignores records after close and refuses queries', () => {
    const { store } = open();
    store.close();
    store.record(hostCall({ slot: 'list_models' }));
    expect(() => store.query()).toThrowError(InsightsError);
  });
});

describe('ActivityStore: query', () => {
  function seeded() {
    const { store } = open({ maxAgeMs: Number.POSITIVE_INFINITY });
    store.record(hostCall({ slot: 'dispatch', pluginId: 'a', agentId: AGENT, status: 202, startedAt: at(1000), args: ['{"prompt":"find the weather"}'] }));
    store.record(hostCall({ slot: 'http_request', pluginId: 'a', status: 403, startedAt: at(2000), args: ['{"url":"https://api.example.com/x"}'] }));
    store.record(hostCall({ slot: 'log_structured', pluginId: 'b', intArg: 3, status: 299, startedAt: at(3000), args: ['slow', '{"user":{"id":"u1"},"n":7,"ok":true}'] }));
    store.record(hostCall({ slot: 'log_structured', pluginId: 'b', intArg: 4, status: 500, startedAt: at(4000), args: ['boom', 'user=u1'] }));
    store.record(hostCall({ slot: 'complete', pluginId: 'c', status: 500, startedAt: at(5000), args: ['{"model":"llama-3-8b"}'], response: '{"error":"context_unavailable"}' }));
    store.flush();
    return store;
  }
  const paths = (store: ActivityStore, filter: Parameters<ActivityStore['query']>[0]) => store.query(filter).rows.map((row) => row.path);

  it('returns newest first', () => {
    expect(paths(seeded(), {})).toEqual([
      '/host-api/chat/completions',
      '[ERROR] boom',
      '[WARN] slow',
      '/host-api/http → https://api.example.com/x',
      '/host-api/dispatch',
    ]);
  });

  it('filters by plugin, agent (any case), path or method, status range and level', () => {
    const store = seeded();
    expect(paths(store, { pluginId: 'a' })).toHaveLength(2);
    expect(paths(store, { agentId: AGENT.toLowerCase() })).toEqual(['/host-api/dispatch']);
    expect(paths(store, { path: 'api.example' })).toEqual(['/host-api/http → https://api.example.com/x']);
    expect(paths(store, { path: 'LOG' })).toEqual(['[ERROR] boom', '[WARN] slow']);
    expect(paths(store, { status: { min: 400, max: 499 } })).toEqual(['/host-api/http → https://api.example.com/x']);
    expect(paths(store, { status: { min: 500, max: 500 } })).toHaveLength(2);
    expect(paths(store, { level: ['WARN', 'ERROR'] })).toEqual(['[ERROR] boom', '[WARN] slow']);
  });

  it('filters by time range, inclusive', () => {
    const store = seeded();
    expect(paths(store, { since: at(2000).getTime(), until: at(3000).getTime() })).toEqual(['[WARN] slow', '/host-api/http → https://api.example.com/x']);
  });

  it('filters structured payloads by key=value with nested keys, numbers and booleans; opaque payloads never match', () => {
    const store = seeded();
    expect(paths(store, { payload: [{ key: 'user.id', value: 'u1' }] })).toEqual(['[WARN] slow']);
    expect(paths(store, { payload: [{ key: 'n', value: '7' }, { key: 'ok', value: 'true' }] })).toEqual(['[WARN] slow']);
    expect(paths(store, { payload: [{ key: 'n', value: '8' }] })).toEqual([]);
    expect(paths(store, { payload: [{ key: 'user', value: 'u1' }] })).toEqual([]);
  });

  it('refuses payload keys it cannot turn into a JSON path', () => {
    const store = seeded();
    for (const key of ['', 'a..b', 'a"b']) {
      expect(() => store.query({ payload: [{ key, value: 'x' }] })).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });

  it('searches text in paths, plugin ids, models and bodies, treating % and _ literally', () => {
    const store = seeded();
    expect(paths(store, { text: 'weather' })).toEqual(['/host-api/dispatch']);
    expect(paths(store, { text: 'llama-3' })).toEqual(['/host-api/chat/completions']);
    expect(paths(store, { text: 'user=u1' })).toEqual(['[ERROR] boom']);
    expect(paths(store, { text: '%' })).toEqual([]);
    expect(paths(store, { text: 'context_unavailable' })).toEqual(['/host-api/chat/completions']);
  });

  it('pages by cursor without gaps or repeats', () => {
    const store = seeded();
    const first = store.query({}, { limit: 2 });
    const second = store.query({}, { limit: 2, cursor: first.nextCursor });
    const third = store.query({}, { limit: 2, cursor: second.nextCursor });
    expect([first, second, third].map((page) => page.rows.length)).toEqual([2, 2, 1]);
    expect(third.nextCursor).toBeNull();
    const ids = [...first.rows, ...second.rows, ...third.rows].map((row) => row.id);
    expect(ids).toEqual([5, 4, 3, 2, 1]);
    expect(() => store.query({}, { cursor: 'not-a-cursor' })).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('reports per-plugin counts, error rates and latency percentiles over calls', () => {
    const { store } = open({ maxAgeMs: Number.POSITIVE_INFINITY });
    for (let index = 1; index <= 100; index += 1) {
      store.record(hostCall({ slot: 'list_models', pluginId: 'p', durationMs: index, status: index % 10 === 0 ? 500 : 200 }));
    }
    store.record(hostCall({ slot: 'log', pluginId: 'p', intArg: 2, args: ['x'] }));
    store.flush();
    expect(store.stats()).toEqual([{ pluginId: 'p', calls: 100, errors: 10, errorRate: 0.1, p50Ms: 50, p95Ms: 95, p99Ms: 99, logs: 1 }]);
  });

  it('sees consistent pages while rows keep arriving between reads', async () => {
    const { store } = open({ maxAgeMs: Number.POSITIVE_INFINITY });
    let produced = 0;
    const producer = (async () => {
      for (let round = 0; round < 50; round += 1) {
        for (let index = 0; index < 20; index += 1) store.record(hostCall({ slot: 'list_models', args: [], startedAt: at(produced++) }));
        if (round % 3 === 0) store.flush();
        await new Promise((resolve) => setImmediate(resolve));
      }
      store.flush();
    })();
    const seen: number[] = [];
    store.flush();
    let cursor: string | null = null;
    const newestAtStart = store.latestId();
    do {
      const page = store.query({ until: Number.MAX_SAFE_INTEGER }, { limit: 7, cursor });
      seen.push(...page.rows.map((row) => row.id).filter((id) => id <= newestAtStart));
      cursor = page.nextCursor;
      await new Promise((resolve) => setImmediate(resolve));
    } while (cursor !== null);
    await producer;
    expect(seen).toEqual(Array.from({ length: newestAtStart }, (_, index) => newestAtStart - index));
    expect(store.latestId()).toBe(1000);
    expect(new Set(store.rowsAfter(0, {}, 2000).map((row) => row.id)).size).toBe(1000);
  });
});

describe('ActivityStore: retention', () => {
  it('keeps the newest maxRows rows', () => {
    const { store } = open({ maxRows: 3, maxAgeMs: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 10; index += 1) store.record(hostCall({ slot: 'log', intArg: 2, args: [`m${index}`] }));
    store.flush();
    expect(store.query().rows.map((row) => row.path)).toEqual(['[INFO] m9', '[INFO] m8', '[INFO] m7']);
  });

  it('keeps exactly one row with maxRows 1, and nothing is lost under the limit', () => {
    const { store } = open({ maxRows: 1, maxAgeMs: Number.POSITIVE_INFINITY });
    store.record(hostCall({ slot: 'list_models' }));
    store.flush();
    expect(store.query().rows).toHaveLength(1);
    store.record(hostCall({ slot: 'list_active_tasks' }));
    store.flush();
    expect(store.query().rows.map((row) => row.slot)).toEqual(['list_active_tasks']);
  });

  it('deletes rows older than maxAgeMs by start time, keeping a row exactly at the limit', () => {
    let now = at(10_000).getTime();
    const { store } = open({ maxAgeMs: 5_000, now: () => now });
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['old'], startedAt: at(4_999) }));
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['edge'], startedAt: at(5_000) }));
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['new'], startedAt: at(9_000) }));
    store.flush();
    expect(store.query().rows.map((row) => row.path)).toEqual(['[INFO] new', '[INFO] edge']);
    now = at(20_000).getTime();
    store.applyRetention();
    expect(store.query().rows).toEqual([]);
  });

  it('refuses retention settings that would keep nothing', () => {
    const { path } = open();
    for (const options of [{ maxRows: 0 }, { maxRows: 1.5 }, { maxAgeMs: 0 }, { maxAgeMs: -1 }, { maxBodyChars: 0 }]) {
      expect(() => ActivityStore.open(`${path}.x`, options)).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });
});

describe('ActivityStore: floods', () => {
  it('throttles 100,000 logs in one second to the per-plugin rate plus one counted "dropped" row', () => {
    let now = 1_000_000;
    const { store } = open({ logsPerSecondPerPlugin: 1_000, now: () => now, maxAgeMs: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 100_000; index += 1) store.record(hostCall({ slot: 'log', intArg: 0, args: [`tick ${index}`] }));
    store.record(hostCall({ slot: 'log', pluginId: 'quiet', intArg: 2, args: ['unaffected'] }));
    store.record(hostCall({ slot: 'list_models' }));
    expect(store.pendingCount).toBe(1_002);
    store.flush();
    expect(store.query({ level: ['WARN'] }).rows).toEqual([]);
    now += 1_000;
    store.flush();
    const dropped = store.query({ level: ['WARN'] }).rows;
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ kind: 'dropped', pluginId: 'com.example.echo', status: 299, path: '[WARN] Insights dropped 99000 records from this plugin (99000 over 1000 logs per second)' });
    expect(store.query({ payload: [{ key: 'dropped', value: '99000' }] }).rows).toHaveLength(1);
    expect(store.query({ pluginId: 'quiet' }).rows).toHaveLength(1);
  });

  it('counts records dropped while the write queue is full, and writes the count on close', () => {
    const opened = open({ maxPendingRows: 10, now: () => 0, maxAgeMs: Number.POSITIVE_INFINITY });
    for (let index = 0; index < 25; index += 1) opened.store.record(hostCall({ slot: 'list_models' }));
    opened.store.close();
    const reopened = ActivityStore.open(opened.path, { maxAgeMs: Number.POSITIVE_INFINITY });
    disposers.push(() => reopened.close());
    expect(reopened.query({ pluginId: 'com.example.echo' }).rows).toHaveLength(11);
    expect(reopened.query({ level: ['WARN'] }).rows[0]!.path).toBe('[WARN] Insights dropped 15 records from this plugin (15 while the write queue was full)');
  });
});

describe('ActivityStore: follow', () => {
  it('delivers rows written after the start, oldest first, including another process\'s rows', async () => {
    const { store, path } = open();
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['before'] }));
    store.flush();
    const received: string[] = [];
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const stop = store.follow(store.latestId(), { level: ['INFO'] }, (rows) => {
      received.push(...rows.map((row) => row.path));
      if (received.length === 3) resolveDone();
    }, 5);
    const other = ActivityStore.open(path);
    other.record(hostCall({ slot: 'log', intArg: 2, args: ['other process'] }));
    other.record(hostCall({ slot: 'log', intArg: 3, args: ['not INFO'] }));
    other.close();
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['same process 1'] }));
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['same process 2'] }));
    await done;
    stop();
    expect(received).toEqual(['[INFO] other process', '[INFO] same process 1', '[INFO] same process 2']);
  });
});
