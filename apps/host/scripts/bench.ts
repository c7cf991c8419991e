/// <reference path="../../../packages/routes/src/autocannon.d.ts" />
/**
 * The performance goals in one run: `npm run bench` (root). Every goal is printed as a ratio
 * against a baseline measured in this same process, so the figures compare like with like on
 * whatever machine runs them. Results are recorded in docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_MAX_BYTES, pluginDatabasePath } from '@osr-host/storage';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import koffi from 'koffi';
import { AGENT, loadFixturePlugin, serve } from '../../../packages/routes/src/test-support/fixture.js';
import { PluginDatabaseEngine } from '../../../packages/storage/src/engine.js';
import { type LoadedPlugin, OsrHost } from '../src/host.js';
import { createLogger } from '../src/log.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-bench-'));
const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const quiet = createLogger('json', { write: () => undefined });
/** The pragmas the storage engine sets on every plugin database. */
const PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'temp_store = MEMORY', 'busy_timeout = 5000'];
const results: Array<{ goal: string; measure: string; value: string; target: string; met: boolean | null }> = [];

function record(goal: string, measure: string, value: number, unit: string, target: string, met: boolean | null) {
  const shown = unit === '×' ? `${value.toFixed(2)}×` : `${value.toFixed(unit === 'ms' ? 2 : 1)} ${unit}`;
  results.push({ goal, measure, value: shown, target, met });
  console.log(`${goal.padEnd(7)} ${measure.padEnd(72)} ${shown.padStart(12)}  (goal ${target})${met === null ? '' : met ? '  met' : '  NOT met'}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * µs per operation of each body, the median over `rounds` rounds; each round runs every body once, in
 * turn, so a change in the machine's load during the run hits baselines and cases alike.
 */
async function microsPerOperation<K extends string>(operations: number, bodies: Record<K, () => unknown>, rounds = 5): Promise<Record<K, number>> {
  const names = Object.keys(bodies) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const name of names) await bodies[name]();
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names) {
      const start = performance.now();
      await bodies[name]();
      samples.get(name)!.push(((performance.now() - start) * 1000) / operations);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name)!)])) as Record<K, number>;
}

/** The median latency in µs of each call, made one at a time, `count` times each, in alternating batches of 100. */
async function medianLatencies<K extends string>(count: number, calls: Record<K, () => Promise<unknown>>): Promise<Record<K, number>> {
  const names = Object.keys(calls) as K[];
  const samples = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const name of names) for (let i = 0; i < 100; i += 1) await calls[name]();
  for (let batch = 0; batch < count / 100; batch += 1) {
    for (const name of names) {
      for (let i = 0; i < 100; i += 1) {
        const start = performance.now();
        await calls[name]();
        samples.get(name)!.push((performance.now() - start) * 1000);
      }
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples.get(name)!)])) as Record<K, number>;
}

/** Named samples taken over rounds, and the median of each. */
function sampler() {
  const samples = new Map<string, number[]>();
  return {
    add: (name: string, value: number) => samples.set(name, [...(samples.get(name) ?? []), value]),
    medians: () => Object.fromEntries([...samples].map(([name, values]) => [name, median(values)])) as Record<string, number>,
  };
}

// `npm run bench -- P2 P9` runs only the goals named.
const only = process.argv.slice(2);
const selected = (goal: string) => only.length === 0 || only.includes(goal);
const rssMib = () => process.memoryUsage().rss / (1024 * 1024);

const host = new OsrHost({ home: join(scratch, 'home'), logger: quiet });
void host.insights; // record every host call, as `serve` does
const { plugin } = await host.loadLibrary(library, { pluginId: 'bench.plugin' });
const tool = (id: string, payload: string) => plugin.invoke('tool', id, payload, { agentId: AGENT });
/**
 * The fixture's `time.<slot>`: ns per call of `slot`, timed by the plugin on the tool's thread and on a thread it
 * spawned; with `eachCall`, its `time_each.<slot>`: the median of the calls, each timed on its own.
 */
const timedByPlugin = async (slot: string, payload: string, eachCall = false) => {
  const id = `${eachCall ? 'time_each' : 'time'}.${slot}`;
  const outcome = await tool(id, payload);
  if (outcome.kind !== 'returned') throw new Error(`${id} failed: ${outcome.kind}`);
  return (JSON.parse(outcome.text) as { result: { tool_thread_ns: number; spawned_thread_ns: number } }).result;
};

console.log(`osr-host goals — node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'})\n`);

// Memory: resident set with 50 plugins loaded, with 64 calls in flight, and after serving many calls.
if (selected('Memory')) {
  const memoryHost = new OsrHost({ home: join(scratch, 'memory-home'), logger: quiet });
  void memoryHost.insights;
  const before = rssMib();
  const plugins: LoadedPlugin['plugin'][] = [];
  for (let i = 0; i < 50; i += 1) {
    const copy = join(scratch, `memory-${i}.so`);
    copyFileSync(library, copy);
    plugins.push((await memoryHost.loadLibrary(copy, { pluginId: `bench.memory${i}` })).plugin);
  }
  const loaded = rssMib();
  record('Memory', `RSS with 50 plugins loaded (host before loading: ${before.toFixed(0)} MiB)`, loaded, 'MiB', 'report', null);
  const first = plugins[0]!;
  const parked = Array.from({ length: 64 }, () => first.invoke('tool', 'block', '', { agentId: AGENT }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  record('Memory', 'RSS with 64 calls in flight', rssMib(), 'MiB', 'report', null);
  await first.invoke('tool', 'release', '', { agentId: AGENT });
  await Promise.all(parked);
  const serveCalls = async (count: number) => {
    for (let i = 0; i < count; i += 64) {
      await Promise.all(Array.from({ length: 64 }, (_, j) => plugins[(i + j) % 50]!.invoke('tool', 'repeat.get_active_agent_id', '4', { agentId: AGENT })));
    }
  };
  await serveCalls(20_000);
  const warm = rssMib();
  await serveCalls(100_000);
  const after = rssMib();
  record('Memory', `RSS after 100k more calls (${after.toFixed(0)} MiB) / after the first 20k (${warm.toFixed(0)} MiB)`, after / warm, '×', '≈ 1×, no growth', after / warm < 1.1);
  await memoryHost.close();
}

// P1: the plugin times its own host calls from inside a tool call (as a third-party plugin sees them), on the
// tool's thread and on a thread it spawned; the floor, in the same rounds, is C calling a koffi-registered JS
// function on its own thread, copying and freeing the string it returns. The host records every call, as `serve` does.
if (selected('P1')) {
  const raw = koffi.load(library);
  const StringCallback = koffi.proto('const char* osr_bench_string_callback()');
  const floorNsPerCall = raw.func('double osr_bench_string_callbacks(osr_bench_string_callback* callback, int times)');
  const callback = koffi.register(() => AGENT, koffi.pointer(StringCallback));
  const CALLS = 2000;
  await host.setConfig('bench.plugin', null, 'bench_region', 'eu-west');
  const samples = sampler();
  for (let round = 0; round < 5; round++) {
    samples.add('floor', (floorNsPerCall(callback, CALLS) as number) / 1000);
    for (const slot of ['get_active_agent_id', 'log', 'log_structured', 'free_string']) {
      const result = await timedByPlugin(slot, String(CALLS));
      samples.add(`${slot} from the tool thread`, result.tool_thread_ns / 1000);
      samples.add(`${slot} from the plugin thread`, result.spawned_thread_ns / 1000);
    }
    // A kept config answer (P178). A spawned thread has no agent, so its calls are served by the host: the cost without the cache.
    const config = await timedByPlugin('config_get', `${CALLS}\nbench_region`);
    samples.add('config_get (kept answer) from the tool thread', config.tool_thread_ns / 1000);
    samples.add('config_get (no agent: served by the host) from the plugin thread', config.spawned_thread_ns / 1000);
  }
  koffi.unregister(callback);
  const { floor, ...cases } = samples.medians();
  console.log(`P1 floor: koffi callback on the same thread, copy + free: ${floor!.toFixed(3)} µs/call`);
  for (const [name, micros] of Object.entries(cases)) {
    const goal = name.startsWith('config_get') ? null : micros / floor! <= 3;
    record('P1', `${name} (${micros.toFixed(3)} µs, timed by the plugin) / floor`, micros / floor!, '×', goal === null ? 'report' : '≤ 3×', goal);
  }
}

let sqliteVersion = '';
/**
 * scripts/sqlite-floor.c built against the system SQLite: the floor of running a plugin's statement in C on
 * its own thread (P195). Null, with a note, where it cannot be built (Debian: libsqlite3-dev).
 */
function compileSqliteFloor(): string | null {
  const binary = join(scratch, 'sqlite-floor');
  try {
    execFileSync(process.env.CC || 'cc', ['-O2', join(import.meta.dirname, 'sqlite-floor.c'), '-lsqlite3', '-o', binary], { stdio: 'pipe' });
    return binary;
  } catch (error) {
    console.log(`P2: SQLite from C not measured: cannot build scripts/sqlite-floor.c against the system SQLite (Debian: apt-get install libsqlite3-dev): ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

// P2: one-row db_query and an INSERT through db_exec, timed by the plugin from inside a tool call (as P1),
// on the tool's thread and on a thread it spawned, against better-sqlite3 on this thread with the pragmas
// the storage engine sets, rows serialised to the same JSON. The host records every call, as `serve` does.
if (selected('P2')) {
  const CALLS = 500;
  const QUERY = 'SELECT k, v FROM kv WHERE k = 1';
  const INSERT = "INSERT INTO kv (v) VALUES ('x')";
  await tool('call.db_exec', 'CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT)');
  await tool('call.db_exec', "INSERT OR REPLACE INTO kv VALUES (1, 'one')");
  const direct = new Database(join(scratch, 'direct.db'));
  direct.defaultSafeIntegers(true);
  for (const pragma of PRAGMAS) direct.pragma(pragma);
  direct.exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO kv VALUES (1, 'one')");
  const select = direct.prepare(QUERY).raw(true);
  const insert = direct.prepare(INSERT);
  const engine = new PluginDatabaseEngine({ home: join(scratch, 'engine-home'), maxBytes: DEFAULT_MAX_BYTES, busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS });
  engine.exec('bench.plugin', 'CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)', null);
  engine.exec('bench.plugin', "INSERT INTO kv VALUES (1, 'one')", null);
  const samples = sampler();
  const perCall = (body: () => unknown) => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i += 1) body();
    return ((performance.now() - start) * 1000) / CALLS;
  };
  const medianCall = (body: () => unknown) => {
    const durations: number[] = [];
    for (let i = 0; i < CALLS; i += 1) {
      const start = performance.now();
      body();
      durations.push((performance.now() - start) * 1000);
    }
    return median(durations);
  };
  const directQueryCall = () => {
    const rows = select.all() as unknown[][];
    JSON.stringify({ columns: ['k', 'v'], rows: rows.map((row) => row.map((cell) => (typeof cell === 'bigint' ? Number(cell) : cell))) });
  };
  const directExecCall = () => {
    const info = insert.run();
    JSON.stringify({ changes: info.changes, last_insert_rowid: Number(info.lastInsertRowid) });
  };
  const sqliteFromC = compileSqliteFloor();
  for (let round = 0; round < 5; round += 1) {
    if (sqliteFromC) {
      const floor = JSON.parse(execFileSync(sqliteFromC, [join(scratch, 'floor.db'), String(CALLS)], { encoding: 'utf8' })) as { sqlite: string; query_us: number; insert_us: number };
      samples.add('floorQuery', floor.query_us);
      samples.add('floorExec', floor.insert_us);
      sqliteVersion = floor.sqlite;
    }
    samples.add('directQuery', perCall(directQueryCall));
    samples.add('directExec', perCall(directExecCall));
    // The storage engine (guard, binding, reply JSON) alone, on this thread: what a slot server runs per call.
    samples.add('engine', perCall(() => engine.query('bench.plugin', QUERY, null)));
    const query = await timedByPlugin('db_query', `${CALLS}\n${QUERY}`);
    samples.add('query', query.tool_thread_ns / 1000);
    samples.add('threadQuery', query.spawned_thread_ns / 1000);
    const exec = await timedByPlugin('db_exec', `${CALLS}\n${INSERT}`);
    samples.add('exec', exec.tool_thread_ns / 1000);
    samples.add('threadExec', exec.spawned_thread_ns / 1000);
    // The typical call, without the tail: the means above include every slow call, on both sides.
    samples.add('directQueryMedian', medianCall(directQueryCall));
    samples.add('directExecMedian', medianCall(directExecCall));
    samples.add('queryMedian', (await timedByPlugin('db_query', `${CALLS}\n${QUERY}`, true)).tool_thread_ns / 1000);
    samples.add('execMedian', (await timedByPlugin('db_exec', `${CALLS}\n${INSERT}`, true)).tool_thread_ns / 1000);
  }
  direct.close();
  engine.closeAll();
  const { directQuery, directExec, query, threadQuery, exec, threadExec, engine: inThread, queryMedian, directQueryMedian, execMedian, directExecMedian, floorQuery, floorExec } =
    samples.medians();
  record('P2', `db_query one row, tool thread (${query!.toFixed(1)} µs, timed by the plugin) / better-sqlite3 (${directQuery!.toFixed(1)} µs)`, query! / directQuery!, '×', '≤ 1.5×', query! / directQuery! <= 1.5);
  record('P2', `db_exec INSERT, tool thread (${exec!.toFixed(1)} µs) / better-sqlite3 (${directExec!.toFixed(1)} µs)`, exec! / directExec!, '×', '≤ 1.5×', exec! / directExec! <= 1.5);
  record('P2', `db_query one row, plugin-spawned thread (${threadQuery!.toFixed(1)} µs) / better-sqlite3`, threadQuery! / directQuery!, '×', 'report', null);
  record('P2', `db_exec INSERT, plugin-spawned thread (${threadExec!.toFixed(1)} µs) / better-sqlite3`, threadExec! / directExec!, '×', 'report', null);
  record('P2', `… of which the storage engine itself (${inThread!.toFixed(1)} µs) / better-sqlite3`, inThread! / directQuery!, '×', 'report', null);
  record('P2', `db_query, tool thread, median call (${queryMedian!.toFixed(1)} µs) / better-sqlite3's (${directQueryMedian!.toFixed(1)} µs)`, queryMedian! / directQueryMedian!, '×', 'report', null);
  record('P2', `db_exec INSERT, tool thread, median call (${execMedian!.toFixed(1)} µs) / better-sqlite3's (${directExecMedian!.toFixed(1)} µs)`, execMedian! / directExecMedian!, '×', 'report', null);
  if (floorQuery !== undefined && floorExec !== undefined) {
    record('P2', `SQLite ${sqliteVersion} from C on the calling thread, query (${floorQuery.toFixed(1)} µs) / better-sqlite3`, floorQuery / directQuery!, '×', 'report', null);
    record('P2', `… INSERT (${floorExec.toFixed(1)} µs) / better-sqlite3`, floorExec / directExec!, '×', 'report', null);
  }

  // file_read of a small artifact, against reading it in JS and answering the same JSON (P194).
  const artifact = join(scratch, 'home', 'artifacts', 'bench.txt');
  mkdirSync(dirname(artifact), { recursive: true });
  writeFileSync(artifact, 'x'.repeat(1024));
  const request = JSON.stringify({ path: artifact });
  const readDirect = () => {
    const data = readFileSync(artifact);
    JSON.stringify({ data: data.toString('base64'), mime_type: 'text/plain', size: data.length });
  };
  const reads = sampler();
  for (let round = 0; round < 5; round += 1) {
    reads.add('direct', perCall(readDirect));
    reads.add('host', (await timedByPlugin('file_read', `${CALLS / 5}\n${request}`)).tool_thread_ns / 1000);
  }
  const { direct: directRead, host: hostRead } = reads.medians();
  record('P2', `file_read of a 1 KiB artifact, tool thread (${hostRead!.toFixed(1)} µs) / readFileSync (${directRead!.toFixed(1)} µs)`, hostRead! / directRead!, '×', 'report', null);
}

// P3: the bare cross-thread round trip is a worker_threads echo (post a message, the other thread
// answers, this thread wakes); the case is invoke of the fixture's echo tool.
if (selected('P3')) {
  const echo = new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m))", { eval: true });
  const pending: Array<() => void> = [];
  echo.on('message', () => pending.shift()?.());
  const bare = () => new Promise<void>((resolve) => { pending.push(resolve); echo.postMessage('1'); });
  const CALLS = 3000;
  const { bare: bareMedian, invoke: invokeMedian } = await medianLatencies(CALLS, { bare, invoke: () => tool('echo', '1') });
  record('P3', `invoke echo median (${invokeMedian.toFixed(1)} µs) / worker echo (${bareMedian.toFixed(1)} µs)`, invokeMedian / bareMedian, '×', '≤ 1.5×', invokeMedian / bareMedian <= 1.5);
  const throughput = async (call: () => Promise<unknown>) => {
    const until = performance.now() + 2000;
    let done = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        await call();
        done += 1;
      }
    }));
    return done / 2;
  };
  const bareRate = await throughput(bare);
  const invokeRate = await throughput(() => tool('echo', '1'));
  record('P3', `invoke echo calls/s with 16 in flight (worker echo: ${bareRate.toFixed(0)}/s)`, invokeRate, 'calls/s', '≥ 50000', invokeRate >= 50_000);
  await echo.terminate();
}

// P4: the plugin route surface against a bare node:http server calling the same handle_route.
if (selected('P4')) {
  const fixture = await loadFixturePlugin({ PLUGIN_ID: '"routes.bench"' });
  const running = await serve([fixture], { rateLimit: { capacity: Number.MAX_SAFE_INTEGER } });
  const fixedRequest = JSON.stringify({ route_id: 'teapot', method: 'GET', path: '/teapot' });
  const bare = http.createServer(async (_request, response) => {
    const outcome = await fixture.plugin.handleRoute(fixedRequest, { agentId: AGENT });
    response.statusCode = 418;
    response.end(outcome.kind === 'returned' ? outcome.text : '');
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
  // Alternating short runs, so a change in the machine's load hits both servers alike.
  const load = (url: string, headers: Record<string, string> = {}) => autocannon({ url, connections: 16, duration: 2, headers });
  type Run = Awaited<ReturnType<typeof load>>;
  const surfaceRuns: Run[] = [];
  const bareRuns: Run[] = [];
  for (let round = 0; round < 3; round += 1) {
    surfaceRuns.push(await load(`${running.surface.url}/plugins/routes.bench/teapot`, { 'X-Osaurus-Agent-Id': AGENT }));
    bareRuns.push(await load(bareUrl));
  }
  const rate = (runs: Run[]) => runs.reduce((sum, run) => sum + run.requests.average, 0) / runs.length;
  const p99 = (runs: Run[]) => median(runs.map((run) => run.latency.p99));
  const ratio = rate(surfaceRuns) / rate(bareRuns);
  record('P4', `routes req/s (${rate(surfaceRuns).toFixed(0)}) / bare node:http (${rate(bareRuns).toFixed(0)})`, ratio, '×', '≥ 0.7×', ratio >= 0.7);
  const p99Ratio = p99(surfaceRuns) / Math.max(p99(bareRuns), 1);
  record('P4', `routes p99 (${p99(surfaceRuns)} ms) / bare p99 (${p99(bareRuns)} ms, floor 1 ms), median of 3 runs`, p99Ratio, '×', '≤ 2×', p99Ratio <= 2);
  bare.close();
  await running.surface.close();
  await fixture.plugin.shutdown();
}

// P7: isolated invoke against the same call in process.
if (selected('P7')) {
  const isolatedHost = new OsrHost({ home: join(scratch, 'isolated-home'), logger: quiet, isolate: true });
  void isolatedHost.insights;
  const { plugin: isolated } = await isolatedHost.loadLibrary(library, { pluginId: 'bench.isolated' });
  const CALLS = 2000;
  // A new plugin process is slower for its first couple of thousand calls, until V8 has optimized its
  // side of the channel; the goal is about every call after that, so both cases warm up first.
  for (let i = 0; i < 3000; i += 1) {
    await tool('echo', '1');
    await isolated.invoke('tool', 'echo', '1', { agentId: AGENT });
  }
  const { inProcess, child } = await medianLatencies(CALLS, {
    inProcess: () => tool('echo', '1'),
    child: () => isolated.invoke('tool', 'echo', '1', { agentId: AGENT }),
  });
  record('P7', `isolated invoke median (${child.toFixed(1)} µs) / in-process (${inProcess.toFixed(1)} µs)`, child / inProcess, '×', '≤ 3×', child / inProcess <= 3);
  // 1000 calls per invoke and nine rounds: with fewer, one Insights flush landing in a round moved the figure by 2×.
  const CALLBACKS = 1000;
  const { inProcess: inProcessCallbacks, child: childCallbacks } = await microsPerOperation(
    CALLBACKS,
    {
      inProcess: () => tool('repeat.get_active_agent_id', String(CALLBACKS)),
      child: () => isolated.invoke('tool', 'repeat.get_active_agent_id', String(CALLBACKS), { agentId: AGENT }),
    },
    9,
  );
  record('P7', `isolated host callback (${childCallbacks.toFixed(1)} µs) / in-process (${inProcessCallbacks.toFixed(1)} µs)`, childCallbacks / inProcessCallbacks, '×', '≤ 3×', childCallbacks / inProcessCallbacks <= 3);
  await isolatedHost.close();
}

// P9: plugins loaded into the running host, each one's first db_exec (the worst of five), for a
// plugin whose database exists (a restart or reload) and for one whose database this call creates;
// the baseline for the latter is better-sqlite3 creating the same file with the same pragmas.
if (selected('P9')) {
  const timedExec = async (target: LoadedPlugin['plugin']) => {
    const start = performance.now();
    await target.invoke('tool', 'call.db_exec', 'CREATE TABLE IF NOT EXISTS t (x)', { agentId: AGENT });
    return performance.now() - start;
  };
  const firstExecs = async (label: string, prepare: (pluginId: string) => void) => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const pluginId = `bench.${label}${i}`;
      prepare(pluginId);
      const copy = join(scratch, `${pluginId}.so`);
      copyFileSync(library, copy);
      samples.push(await timedExec((await host.loadLibrary(copy, { pluginId })).plugin));
    }
    return { worst: Math.max(...samples), median: median(samples) };
  };
  const createDatabase = (file: string) => {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    for (const pragma of PRAGMAS) db.pragma(pragma);
    db.exec('CREATE TABLE IF NOT EXISTS t (x)');
    db.close();
  };
  // A host that has been running: its database threads are up, as `serve` starts them once its plugins loaded.
  await host.prestart();
  const existing = await firstExecs('existing', (pluginId) => createDatabase(pluginDatabasePath(host.home, pluginId)));
  const created = await firstExecs('new', () => undefined);
  // Baselines: better-sqlite3 in JS opening an existing database, and creating one, with the same pragmas.
  const directOpens: number[] = [];
  const directCreates: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const file = join(scratch, `direct-${i}`, 'data.db');
    let start = performance.now();
    createDatabase(file);
    directCreates.push(performance.now() - start);
    start = performance.now();
    createDatabase(file);
    directOpens.push(performance.now() - start);
  }
  const directOpen = { worst: Math.max(...directOpens), median: median(directOpens) };
  const directCreate = { worst: Math.max(...directCreates), median: median(directCreates) };
  record('P9', `first db_exec of a plugin loaded into a running host, its database on disk: worst of 5, median ${existing.median.toFixed(1)} ms (better-sqlite3 opening it: worst ${directOpen.worst.toFixed(1)}, median ${directOpen.median.toFixed(1)} ms)`, existing.worst, 'ms', '≤ 10 ms', existing.worst <= 10);
  record('P9', `… whose database that call creates: worst ${created.worst.toFixed(1)}, median ${created.median.toFixed(1)} ms / better-sqlite3 creating it (worst ${directCreate.worst.toFixed(1)}, median ${directCreate.median.toFixed(1)} ms), medians`, created.median / directCreate.median, '×', 'report', null);
  const cold: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const coldHost = new OsrHost({ home: join(scratch, `cold-${i}`), logger: quiet });
    const { plugin: coldPlugin } = await coldHost.loadLibrary(library, { pluginId: `bench.cold${i}` });
    const start = performance.now();
    await coldPlugin.invoke('tool', 'call.db_exec', 'CREATE TABLE IF NOT EXISTS t (x)', { agentId: AGENT });
    cold.push(performance.now() - start);
    await coldHost.close();
  }
  record('P9', '… of the first plugin of a host started just before (its worker still booting), median of 3', median(cold), 'ms', 'report', null);
}

await host.close();
rmSync(scratch, { recursive: true, force: true });
const missed = results.filter((result) => result.met === false);
console.log(`\n${results.filter((result) => result.met).length} goals met, ${missed.length} not met${missed.length ? `: ${[...new Set(missed.map((result) => result.goal))].join(', ')}` : ''}.`);
// Plugin libraries are never unloaded and may hold threads; end the run once everything is printed.
process.exit(0);
