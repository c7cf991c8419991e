import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { compilePlugin } from '@osr-host/abi-struct/testing';
import { runCli, startServe, stopCommands } from './cli.js';

const repository = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
// An owner route: routes open to anyone are rate-limited per plugin (100 a minute), owner routes are not.
const ROUTE = '/plugins/routes.fixture/owner';

export interface SoakOptions {
  /** The measured part of the run. */
  durationMs: number;
  /** Load before the measured part, not counted: serve's heap grows to its working size meanwhile. */
  warmUpMs: number;
  /** Requests in flight at once (closed loop: each worker sends its next request when the last one answered). */
  concurrency?: number;
}

export interface SoakReport {
  seconds: number;
  requests: number;
  routeRequests: number;
  mcpCalls: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** `serve`'s resident memory in MiB at the end of the warm-up and at the end. */
  rssStartMib: number;
  rssEndMib: number;
  rssGrowthPercent: number;
  /** `serve`'s resident memory every tenth of the measured part, in MiB: a plateau, or steady growth. */
  rssSamplesMib: number[];
}

function residentMib(pid: number): number {
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kilobytes) / 1024);
}

/** A home with the route fixture and the example plugin installed, served by `osr-host serve` on loopback. */
export async function startSoakServe() {
  const home = mkdtempSync(join(tmpdir(), 'osr-soak-'));
  const make = spawnSync('make', ['-s', '-C', join(repository, 'examples', 'hello-plugin'), 'install', `HOME_DIR=${home}`], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(`make install failed: ${make.stderr}`);
  const routes = join(mkdtempSync(join(tmpdir(), 'osr-soak-package-')), 'routes.fixture-1.0.0');
  mkdirSync(routes);
  copyFileSync(compilePlugin(join(repository, 'packages', 'routes', 'fixtures', 'route_plugin.c')), join(routes, 'libplugin.so'));
  const installed = runCli(['tools', 'install', routes, '--home', home, '--dev']);
  if (installed.code !== 0) throw new Error(`tools install failed: ${installed.stderr}`);
  const minted = runCli(['keys', 'mint', 'soak', '--home', home]);
  if (minted.code !== 0) throw new Error(`keys mint failed: ${minted.stderr}`);
  const served = await startServe(['--dev', '--home', home, '--agent', AGENT]);
  return {
    origin: `http://127.0.0.1:${served.port}`,
    accessKey: minted.stdout.trim(),
    mcpToken: readFileSync(join(home, 'run', 'mcp-token'), 'utf8').trim(),
    rssMib: () => residentMib(served.child.pid!),
    stop: stopCommands,
  };
}

export type SoakServe = Awaited<ReturnType<typeof startSoakServe>>;

export async function connectMcp(serve: SoakServe): Promise<Client> {
  const client = new Client({ name: 'osr-soak', version: '1.0.0' });
  const headers = { Authorization: `Bearer ${serve.mcpToken}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${serve.origin}/mcp`), { requestInit: { headers } }));
  return client;
}

/** One plugin-route request; true when it answered 200. */
export async function routeRequest(serve: SoakServe): Promise<boolean> {
  const response = await fetch(`${serve.origin}${ROUTE}`, { headers: { 'X-Osaurus-Agent-Id': AGENT, Authorization: `Bearer ${serve.accessKey}` } });
  await response.arrayBuffer();
  return response.status === 200;
}

/** One MCP tools/call of the example's `greet`; true when it answered without error. */
export async function mcpCall(client: Client): Promise<boolean> {
  const result = await client.callTool({ name: 'dev.osr.hello__greet', arguments: { name: 'soak' } });
  return !result.isError && JSON.stringify(result.content).includes('Hello, soak!');
}

/**
 * Drives `serve` with plugin-route requests and MCP tool calls, half each, from `concurrency`
 * closed-loop workers for `warmUpMs` (not counted), then for `durationMs`.
 */
export async function runSoak(serve: SoakServe, options: SoakOptions): Promise<SoakReport> {
  const concurrency = options.concurrency ?? 8;
  const { warmUpMs } = options;
  const clients = await Promise.all(Array.from({ length: Math.ceil(concurrency / 2) }, () => connectMcp(serve)));
  const latencies: number[] = [];
  let [routeRequests, mcpCalls, errors] = [0, 0, 0];
  const started = Date.now();
  const countFrom = started + warmUpMs;
  const endAt = countFrom + options.durationMs;
  let rssStartMib = 0;
  const rssSamplesMib: number[] = [];
  let sampling: NodeJS.Timeout | undefined;
  const warmed = setTimeout(() => {
    rssStartMib = serve.rssMib();
    sampling = setInterval(() => rssSamplesMib.push(serve.rssMib()), options.durationMs / 10);
  }, warmUpMs);
  const worker = async (index: number) => {
    const client = clients[index >> 1]!;
    for (let turn = index; Date.now() < endAt; turn++) {
      const sentAt = performance.now();
      const mcp = turn % 2 === 1;
      const ok = await (mcp ? mcpCall(client) : routeRequest(serve)).catch(() => false);
      if (Date.now() < countFrom) continue;
      latencies.push(performance.now() - sentAt);
      if (mcp) mcpCalls++;
      else routeRequests++;
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  clearTimeout(warmed);
  clearInterval(sampling);
  const rssEndMib = serve.rssMib();
  await Promise.all(clients.map((client) => client.close()));
  latencies.sort((a, b) => a - b);
  const seconds = (Date.now() - countFrom) / 1000;
  const percentile = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 10) / 10;
  return {
    seconds: Math.round(seconds * 10) / 10,
    requests: latencies.length,
    routeRequests,
    mcpCalls,
    errors,
    requestsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    rssStartMib,
    rssEndMib,
    rssGrowthPercent: rssStartMib ? Math.round(((rssEndMib - rssStartMib) / rssStartMib) * 1000) / 10 : 0,
    rssSamplesMib,
  };
}
