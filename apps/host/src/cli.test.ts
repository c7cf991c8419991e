import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HOST_ABI_LEVEL } from '@osr-host/abi';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { OsrHost } from './host.js';
import { cli, runCli as run, runCliAsync, startServe, stopCommands } from './test-support/cli.js';
import { logRecords, memoryLogger } from './test-support/logs.js';

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;


const testPlugin = (abi = 6) => compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: abi } });
const edgePlugin = (variant: string) => compilePlugin(fixtureSources.edgePlugin, { defines: { [variant]: true } });
const freshHome = () => mkdtempSync(join(tmpdir(), 'osr-host-home-'));

describe('osr-host inspect', () => {
  it('prints {plugin_id, abi, host_abi, manifest}: the plugin ABI and the host level in effect', () => {
    for (const [level, abi] of [
      ['6', 4],
      ['3', 4],
    ] as const) {
      const { code, stdout } = run(['inspect', testPlugin(abi), '--abi', level]);
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(report).toMatchObject({ plugin_id: 'test.plugin', abi, host_abi: Number(level), manifest: { plugin_id: 'test.plugin', version: `1.0.${abi}` } });
    }
    const legacy = JSON.parse(run(['inspect', edgePlugin('V1_ONLY'), '--abi', '1']).stdout);
    expect(legacy).toMatchObject({ plugin_id: 'edge.plugin', abi: 1 });
  });

  it('exits non-zero with the loader message on stderr', () => {
    const failures: Array<[string[], RegExp]> = [
      [['inspect', testPlugin(6), '--abi', '1'], /needs host ABI level 2/],
      [['inspect', edgePlugin('NOT_A_PLUGIN')], /^Missing plugin entry point \(osaurus_plugin_entry_v2 or osaurus_plugin_entry\)/],
      [['inspect', edgePlugin('MISSING_POINTERS')], /missing required function\(s\): destroy, invoke/],
      [['inspect', edgePlugin('NULL_MANIFEST')], /Plugin failed to return manifest/],
      [['inspect', edgePlugin('BAD_MANIFEST')], /Failed to parse plugin manifest/],
      [['inspect', join(freshHome(), 'missing.so')], /No such file/],
    ];
    for (const [args, message] of failures) {
      const { code, stdout, logs } = run(args);
      expect(code, args.join(' ')).toBe(1);
      expect(stdout).toBe('');
      expect(logs).toEqual([expect.objectContaining({ level: 'error', msg: expect.stringMatching(message) })]);
    }
  });

  it('rejects a bad --abi with usage', () => {
    const { code, stderr } = run(['inspect', testPlugin(), '--abi', String(DEFAULT_HOST_ABI_LEVEL + 1)]);
    expect(code).toBe(2);
    // commander's own usage error, as text: the command never started.
    expect(stderr).toContain(`--abi takes a host ABI level from 1 to ${DEFAULT_HOST_ABI_LEVEL}`);
  });
});

describe('osr-host invoke', () => {
  it('prints exactly the string the plugin returned, ending the line, and exits 0 for ok:false too', () => {
    const home = freshHome();
    const echo = run(['invoke', testPlugin(), 'echo', '{"b":1,"a":[true]}', '--home', home]);
    expect(echo).toMatchObject({ code: 0, stdout: '{"ok":true,"result":{"b":1,"a":[true]}}\n' });
    const unknown = run(['invoke', testPlugin(), 'no_such_tool', '{}', '--home', home]);
    expect(unknown.code).toBe(0);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, message: 'unknown tool' });
  });

  it('runs under --agent, else under the host’s own ordinary agent, stable across runs (D8)', () => {
    const home = freshHome();
    const given = run(['invoke', testPlugin(), 'call.get_active_agent_id', '', '--raw', '--home', home, '--agent', '6f1e4c7a-2b59-4c1d-9a3e-0123456789ab']);
    expect(JSON.parse(given.stdout).result).toBe('6F1E4C7A-2B59-4C1D-9A3E-0123456789AB');
    const first = JSON.parse(run(['invoke', testPlugin(), 'call.get_active_agent_id', '', '--raw', '--home', home]).stdout).result;
    const second = JSON.parse(run(['invoke', testPlugin(), 'call.get_active_agent_id', '', '--raw', '--home', home]).stdout).result;
    expect(first).toMatch(UUID);
    expect(first).not.toBe('00000000-0000-0000-0000-000000000001');
    expect(second).toBe(first);
    expect(run(['invoke', testPlugin(), 'echo', '{}', '--agent', 'not-a-uuid']).code).toBe(2);
  });

  it('takes --home from OSR_HOST_HOME when the flag is absent', () => {
    const home = freshHome();
    run(['invoke', testPlugin(), 'call.db_exec', 'CREATE TABLE marks (x)', '--raw'], { OSR_HOST_HOME: home });
    run(['invoke', testPlugin(), 'call.db_exec', 'INSERT INTO marks VALUES (7)', '--raw'], { OSR_HOST_HOME: home });
    const rows = run(['invoke', testPlugin(), 'call.db_query', 'SELECT x FROM marks', '--raw', '--home', home]);
    expect(JSON.parse(JSON.parse(rows.stdout).result)).toEqual({ columns: ['x'], rows: [[7]] });
  });

  it('answers the reserved slots as upstream, and every other slot from its package', () => {
    const home = freshHome();
    const call = (tool: string, payload = '') => JSON.parse(run(['invoke', testPlugin(), tool, payload, '--raw', '--home', home]).stdout).result;
    expect(JSON.parse(call('call.dispatch_add_issue', 'T-1\n{}'))).toEqual({
      error: 'not_supported',
      message: 'dispatch_add_issue is no longer supported. Call dispatch() to start a fresh task.',
    });
    expect(call('call.dispatch_clarify', 'T-1\nyes')).toBe('void');
    expect(JSON.parse(call('call.task_status', 'T-1'))).toMatchObject({ error: 'invalid_task_id' });
    const logged = run(['invoke', testPlugin(), 'call.log_structured', 'saved\n{"rows":3}', '--raw', '--home', home]);
    expect(logged.logs).toContainEqual(expect.objectContaining({ level: 'warn', plugin: 'test.plugin', msg: 'saved', payload: '{"rows":3}' }));
  });

  it('loads v1 plugins, which get no host table', () => {
    const { code, stdout } = run(['invoke', edgePlugin('V1_ONLY'), 'hello', '{}', '--home', freshHome()]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ ok: true, result: { type: 'tool', id: 'hello', destroyed: 0 } });
  });

  it('a crashing plugin takes down the process that runs it in-process; with --isolate only its own', () => {
    const crashed = run(['invoke', testPlugin(), 'crash', '{}', '--home', freshHome()]);
    expect(crashed.signal).toBe('SIGSEGV');
    const isolated = run(['invoke', testPlugin(), 'crash', '{}', '--home', freshHome(), '--isolate']);
    expect(isolated.code).toBe(0);
    expect(JSON.parse(isolated.stdout)).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/crashed \(SIGSEGV\)/) });
  });
});

describe('osr-host config', () => {
  it('sets, gets and deletes per agent and plugin-wide; the plugin reads what the CLI wrote', () => {
    const home = freshHome();
    const pluginId = `cli-${process.pid}-${Date.now()}`;
    const agent = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
    expect(run(['config', 'set', pluginId, 'token', 'abc', '--agent', agent, '--home', home]).code).toBe(0);
    expect(run(['config', 'get', pluginId, 'token', '--agent', agent, '--home', home]).stdout).toBe('abc\n');
    expect(run(['config', 'get', pluginId, 'token', '--home', home]).code).toBe(1);
    const read = run(['invoke', testPlugin(), 'call.config_get', 'token', '--plugin-id', pluginId, '--agent', agent, '--raw', '--home', home]);
    expect(JSON.parse(read.stdout).result).toBe('abc');
    expect(run(['config', 'delete', pluginId, 'token', '--agent', agent, '--home', home]).code).toBe(0);
    expect(run(['config', 'get', pluginId, 'token', '--agent', agent, '--home', home]).code).toBe(1);
    expect(run(['config', 'set', pluginId, 'token', '--home', home]).code).toBe(2);
  });

  it('reaches a running host whose plugin keeps its config answers (P178)', async () => {
    const home = freshHome();
    const agent = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
    const host = new OsrHost({ home, logger: memoryLogger([]).logger });
    try {
      const { plugin } = await host.loadLibrary(uniqueLibraryCopy(testPlugin(), home), { pluginId: `cli-kept-${process.pid}-${Date.now()}` });
      const read = async () => (JSON.parse(await plugin.invokeTool('call.config_get', 'token', { agentId: agent })) as { result: string | null }).result;
      expect(await read()).toBeNull();
      expect(await read()).toBeNull();
      expect((await runCliAsync(['config', 'set', plugin.id, 'token', 'from-cli', '--agent', agent, '--home', home])).code).toBe(0);
      expect(await read()).toBe('from-cli');
      expect((await runCliAsync(['config', 'set', plugin.id, 'token', 'changed', '--agent', agent, '--home', home])).code).toBe(0);
      expect(await read()).toBe('changed');
      expect((await runCliAsync(['config', 'delete', plugin.id, 'token', '--agent', agent, '--home', home])).code).toBe(0);
      expect(await read()).toBeNull();
    } finally {
      await host.close();
    }
  });
});

describe('osr-host invoke --allow-net', () => {
  it('lets the plugin reach an allowed loopback server and blocks it otherwise', async () => {
    const server = http.createServer((_request, response) => response.end('hello from loopback'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const request = JSON.stringify({ method: 'GET', url: `http://127.0.0.1:${port}/` });
    const call = (extra: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [cli, 'invoke', testPlugin(), 'call.http_request', request, '--home', freshHome(), ...extra]);
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.on('exit', () => resolve(JSON.parse(JSON.parse(stdout).result)));
      });
    try {
      expect(await call(['--allow-net', `127.0.0.1:${port}`])).toMatchObject({ status: 200, body: 'hello from loopback' });
      expect(await call([])).toMatchObject({ error: 'ssrf_blocked' });
    } finally {
      server.close();
    }
  });
});

describe('osr-host serve', () => {
  afterEach(stopCommands);

  it('serves plugin routes, and with --isolate survives a plugin crashing in its route handler', async () => {
    const home = freshHome();
    const routeFixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'routes', 'fixtures', 'route_plugin.c');
    const directory = join(home, 'Tools', 'routes.fixture', '1.0.0');
    mkdirSync(directory, { recursive: true });
    copyFileSync(compilePlugin(routeFixture), join(directory, 'libroutes.so'));
    const served = await startServe(['--dev', '--home', home, '--isolate']);
    const port = served.port;
    const agent = { 'X-Osaurus-Agent-Id': '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB' };
    const base = `http://127.0.0.1:${port}/plugins/routes.fixture`;
    const echoed = await fetch(`${base}/echo?x=1`, { headers: agent });
    expect(echoed.status).toBe(200);
    expect(await echoed.json()).toMatchObject({ route_id: 'echo', plugin_id: 'routes.fixture' });
    expect((await fetch(`${base}/echo`)).status).toBe(401);
    expect((await fetch(`${base}/crash`, { headers: agent })).status).toBe(502);
    expect((await fetch(`${base}/echo`, { headers: agent })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('loads every installed plugin, lists the broken ones, and unloads on SIGTERM', async () => {
    const home = freshHome();
    const install = (id: string, version: string, library: string) => {
      const directory = join(home, 'Tools', id, version);
      mkdirSync(directory, { recursive: true });
      copyFileSync(library, join(directory, `lib${id.replaceAll('.', '_')}.so`));
    };
    install('test.plugin', '1.0.0', testPlugin(6));
    install('test.plugin', '0.9.0', edgePlugin('NULL_API'));
    install('broken.plugin', '1.0.0', edgePlugin('NULL_API'));
    install('mismatch.plugin', '1.0.0', testPlugin(5));
    writeFileSync(join(home, 'Tools', 'notes.txt'), 'not a plugin directory');

    const served = await startServe(['--dev', '--home', home]);
    const port = served.port;
    const health = (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json())) as { plugins: unknown; failures: unknown };
    expect(health.plugins).toEqual([{ plugin_id: 'test.plugin', version: '1.0.6', abi: 6 }]);
    expect(health.failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pluginId: 'broken.plugin', message: 'Plugin v2 entry returned null API' }),
        expect.objectContaining({ pluginId: 'mismatch.plugin', message: expect.stringMatching(/test\.plugin/) }),
      ]),
    );
    const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
    served.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logRecords(served.stderr())).toContainEqual(expect.objectContaining({ level: 'info', plugin: 'test.plugin', msg: 'destroyed' }));
  });
});

describe('OpenTelemetry export', () => {
  it('serve sends Insights rows to the collector OTEL_EXPORTER_OTLP_ENDPOINT names, with OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const received: Array<{ path: string; key: string | undefined; body: string }> = [];
    const collector = http.createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      received.push({ path: request.url ?? '', key: request.headers['x-collector-key'] as string | undefined, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const home = freshHome();
      const directory = join(home, 'Tools', 'test.plugin', '1.0.0');
      mkdirSync(directory, { recursive: true });
      copyFileSync(testPlugin(6), join(directory, 'libtest_plugin.so'));
      const served = await startServe(['--dev', '--home', home], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=k1' });
      expect(logRecords(served.stderr())).toContainEqual(expect.objectContaining({ level: 'info', msg: `insights: exporting to ${endpoint} (OTLP/HTTP)` }));
      const exited = new Promise<string>((resolve) => served.child.once('exit', (code, signal) => resolve(`${code ?? signal}`)));
      served.child.kill('SIGTERM');
      expect(await exited, served.stderr()).toBe('0');
      // The plugin's destroy logs one line; shutting down flushes it to the collector as a log record.
      const logs = received.filter((entry) => entry.path === '/v1/logs');
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.every((entry) => entry.key === 'k1')).toBe(true);
      expect(logs.map((entry) => entry.body).join('')).toMatch(/destroyed[\s\S]*test\.plugin|test\.plugin[\s\S]*destroyed/);
    } finally {
      collector.closeAllConnections();
      collector.close();
    }
  });
});

describe('osr-host manifest validate', () => {
  it('exits 0 with the normalised manifest, or 1 with one line per problem', () => {
    const directory = freshHome();
    const good = join(directory, 'good.json');
    const bad = join(directory, 'bad.json');
    writeFileSync(good, JSON.stringify({ plugin_id: 'a.b', version: '1.0.0', capabilities: { tools: [{ id: 'x', description: 'X' }] } }));
    writeFileSync(bad, JSON.stringify({ plugin_id: 'a.b', capabilities: { tools: [{ id: ' ', description: 'X' }] } }));
    const ok = run(['manifest', 'validate', good]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ plugin_id: 'a.b' });
    const refused = run(['manifest', 'validate', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(/\$\.capabilities\.tools\[0\]\.id/);
  });
});

describe('the example plugin', () => {
  it('builds with its Makefile and keeps its counter across host runs', () => {
    const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'hello-plugin');
    const home = freshHome();
    const make = spawnSync('make', ['-s', '-C', example, 'install', `HOME_DIR=${home}`], { encoding: 'utf8' });
    expect(make.status, make.stderr).toBe(0);
    const library = join(home, 'Tools', 'dev.osr.hello', '1.0.0', 'libhello.so');
    const count = () => JSON.parse(run(['invoke', library, 'count', '{}', '--home', home]).stdout).result.rows[0][0];
    expect([count(), count()]).toEqual([1, 2]);
    expect(JSON.parse(run(['invoke', library, 'greet', '{"name":"Ada"}', '--home', home]).stdout)).toEqual({
      ok: true,
      result: { greeting: 'Hello, Ada!' },
    });
  });
});
