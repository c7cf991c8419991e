#!/usr/bin/env node
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type HostAbiLevel, isHostAbiLevel } from '@osr-host/abi-struct';
import { runTasksCli } from '@osr-host/dispatch';
import { ActivityStore, createInsightsDashboard, type InsightsDashboard, otlpOptionsFromEnv, runInsightsCli } from '@osr-host/insights';
import { runManifestCli } from '@osr-host/manifest';
import { createMcpHttpHandler, createPluginToolServer, type McpHttpHandler, serveStdio, writeLoopbackToken } from '@osr-host/mcp';
import { DEFAULT_AGENT_ID, hostDatabasePath } from '@osr-host/storage';
import { AccessKeyStore, createPluginRouter, pluginServerOptions } from '@osr-host/routes';
import { toolResult } from '@osr-host/runtime';
import { CrashGuard, createScaffold, install, removePlugin, toolsRoot, trustPublisherKey, upgradePlugin, writeFileDurably } from '@osr-host/lifecycle';
import { HELP_COMMANDS, HOST_COMMANDS, HOST_OPTIONS, type HostCommand } from './cli-grammar.js';
import { DevLoop } from './dev-loop.js';
import { describeLoadError, HOST_BUILD, HOST_VERSION, type LoadFailure, type LoadedPlugin, OsrHost } from './host.js';
import { resolveHome, serveStateFiles } from './paths.js';

function timingSafeEqualText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const USAGE = `osr-host — reference host for Osaurus native plugins

Usage:
  osr-host serve [--home DIR] [--port N] [--abi N] [--agent UUID] [--isolate] [--dev] [--allow-net HOST:PORT]...
  osr-host invoke <library> <tool_id> [payload-json] [--abi N] [--agent UUID] [--home DIR] [--plugin-id ID] [--isolate] [--allow-net HOST:PORT]...
  osr-host inspect <library> [--abi N] [--plugin-id ID] [--home DIR]
  osr-host config get|set|delete <plugin_id> <key> [value] [--agent UUID] [--home DIR]
  osr-host keys mint [label] | list | revoke <id> [--home DIR]
  osr-host insights query|tail|warnings|stats [filters] [--home DIR]   (osr-host insights --help)
  osr-host tasks list | watch [task_id] | cancel <task_id> | answer <task_id> <text…>   (asks the running serve)
  osr-host mcp [--home DIR] [--agent UUID] [--isolate]   (every loaded plugin's tools over MCP on stdio)
  osr-host tools list | install <dir|zip|id> [--registry R] [--version V] | upgrade <id> --registry R | remove <id>
                 | reset | retry <id> | trust <key.pub> | create <name> [--language c|rust] [--dir DIR] | reload | dev <dir>
                 [--home DIR] [--dev]
  osr-host agents list | add <name> | remove <UUID> | default [UUID]   [--home DIR]
  osr-host manifest validate <file|->

Options:
  --home DIR       plugin home (default $OSR_HOST_HOME, else ~/.osaurus)
  --abi N          host ABI level 1-6 presented to plugins (default 6)
  --agent UUID     agent for the call (default: the host's own ordinary agent)
  --plugin-id ID   id for a library outside <home>/Tools (default: its file name)
  --port N         port for serve (default 1337)
  --allow-net H:P  let plugins reach this host:port despite the SSRF guard (repeatable)
  --isolate        run each plugin in a child process of its own (a crash or hang costs only that plugin)
  --dev            load and install plugins without receipt, signature and consent checks (development)
                   (config without --agent reads and writes the plugin-wide default)
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class UsageError extends Error {}

function agentOption(values: Record<string, unknown>): string | undefined {
  const agent = values.agent as string | undefined;
  if (agent !== undefined && !UUID.test(agent)) throw new UsageError(`--agent takes a UUID, not "${agent}".`);
  return agent?.toUpperCase();
}

/** Points the host's Insights at an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
async function exportTelemetry(host: OsrHost): Promise<void> {
  const options = otlpOptionsFromEnv(process.env);
  if (options === undefined) return;
  await host.exportToOtlp(options);
  process.stderr.write(`osr-host: insights: exporting to ${options.endpoint} (OTLP/HTTP)\n`);
}

function hostOptions(values: Record<string, unknown>) {
  return {
    home: resolveHome(values.home as string | undefined),
    level: parseLevel(values.abi as string | undefined),
    allowNet: (values['allow-net'] as string[] | undefined) ?? [],
    ...(values.isolate ? { isolate: true } : {}),
    ...(values.dev ? { dev: true } : {}),
  };
}

function parseLevel(value: string | undefined): HostAbiLevel | undefined {
  if (value === undefined) return undefined;
  const level = Number(value);
  if (!isHostAbiLevel(level)) throw new UsageError(`--abi takes a host ABI level from 1 to 6, not "${value}".`);
  return level;
}

/** Writes, then exits once the text is flushed: a plugin thread stuck forever must not keep the process alive. */
function finish(code: number, stdout = '', stderr = ''): Promise<never> {
  return new Promise(() => {
    if (stderr) process.stderr.write(stderr.endsWith('\n') ? stderr : `${stderr}\n`);
    process.stdout.write(stdout, () => process.exit(code));
  });
}

async function inspect(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const [library] = positionals;
  if (!library) throw new UsageError('inspect needs a library path.');
  const host = new OsrHost(hostOptions(values));
  try {
    const { plugin, manifest } = await host.loadLibrary(library, { pluginId: values['plugin-id'] as string | undefined });
    const report = { plugin_id: manifest.plugin_id, abi: plugin.abi, manifest };
    await host.close();
    return finish(0, `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    return finish(1, '', describeLoadError(error));
  }
}

async function invoke(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const [library, toolId, payload = '{}'] = positionals;
  if (!library || !toolId) throw new UsageError('invoke needs a library path and a tool id.');
  const agentFlag = agentOption(values);
  const host = new OsrHost(hostOptions(values));
  let loaded: Awaited<ReturnType<OsrHost['loadLibrary']>>;
  try {
    loaded = await host.loadLibrary(library, { pluginId: values['plugin-id'] as string | undefined });
  } catch (error) {
    return finish(1, '', describeLoadError(error));
  }
  void host.insights;
  const agentId = agentFlag ?? host.defaultAgentId();
  const outcome = await loaded.plugin.invoke('tool', toolId, payload, { agentId });
  const text = toolResult(toolId, outcome);
  await host.close();
  return finish(0, text);
}

async function config(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const [action, pluginId, key, value] = positionals;
  if (!pluginId || !key || !Object.hasOwn(HOST_COMMANDS.config.subcommands, action ?? '') || (action === 'set' && value === undefined)) {
    throw new UsageError('config needs: get|set|delete <plugin_id> <key> [value].');
  }
  const agentId = agentOption(values) ?? null;
  const host = new OsrHost(hostOptions(values));
  try {
    if (action === 'get') {
      const found = await (await host.config()).get({ pluginId, agentId }, key);
      await host.close();
      return found === null ? finish(1, '', `No value for ${key} of ${pluginId}.`) : finish(0, `${found}\n`);
    }
    await host.setConfig(pluginId, agentId, key, action === 'set' ? (value as string) : null);
    await host.close();
    return finish(0);
  } catch (error) {
    return finish(1, '', `osr-host: ${describeLoadError(error)}`);
  }
}

/**
 * Background tasks live in the host process that runs them: with a `serve` running on this
 * home, the command runs there (through its authenticated admin endpoint, streamed, so
 * `watch` follows live); otherwise it runs here, where `list` still reads the task history.
 */
async function tasks(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const home = resolveHome(values.home as string | undefined);
  const running = runningServe(home);
  if (running) return finish(await forwardTasksCommand(running, positionals));
  const host = new OsrHost(hostOptions(values));
  const code = await runTasksCli(positionals, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) }, host.tasks);
  await host.close();
  return finish(code);
}

/** The admin endpoint of the `serve` running on `home`, if one is. */
function runningServe(home: string): { origin: string; token: string } | undefined {
  const files = serveStateFiles(home);
  if (!existsSync(files.state) || !existsSync(files.token)) return undefined;
  const { origin, pid } = JSON.parse(readFileSync(files.state, 'utf8')) as { origin: string; pid: number };
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // a serve that died without cleaning up
  }
  return { origin, token: readFileSync(files.token, 'utf8').trim() };
}

/** Runs `osr-host tasks …` inside the running host; its lines stream back as NDJSON. */
async function forwardTasksCommand(running: { origin: string; token: string }, argv: string[]): Promise<number> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const response = await fetch(`${running.origin}/admin/tasks`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ argv }),
    signal: stop.signal,
  });
  if (!response.ok || !response.body) {
    process.stderr.write(`The running host refused the tasks command (${response.status}): ${await response.text()}\n`);
    return 1;
  }
  let code = 0;
  let pending = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += Buffer.from(chunk).toString('utf8');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const message = JSON.parse(pending.slice(0, end)) as { out?: string; err?: string; exit?: number };
        pending = pending.slice(end + 1);
        if (message.out !== undefined) process.stdout.write(`${message.out}\n`);
        if (message.err !== undefined) process.stderr.write(`${message.err}\n`);
        if (message.exit !== undefined) code = message.exit;
      }
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  }
  return code;
}

/** Serves every installed plugin's tools over MCP on stdin/stdout; logs go to stderr. */
async function mcp(values: Record<string, unknown>): Promise<never> {
  const agentFlag = agentOption(values);
  const host = new OsrHost(hostOptions(values));
  void host.insights;
  await exportTelemetry(host);
  const { failures } = await host.loadInstalled();
  for (const failure of failures) process.stderr.write(`osr-host: failed to load ${failure.pluginId}: ${failure.message}\n`);
  const tools = createPluginToolServer({
    plugins: () => host.loadedPlugins(),
    agentId: agentFlag ?? host.defaultAgentId(),
    serverInfo: { name: 'osr-host', version: HOST_VERSION },
  });
  await (await serveStdio(tools)).closed;
  await tools.close();
  await host.close();
  return finish(0);
}

/** The manifest of a library, read by a child `osr-host inspect` so that a bad library cannot hurt this process. */
function manifestOfLibrary(library: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fileURLToPath(import.meta.url), 'inspect', library], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (!error) resolve(JSON.stringify((JSON.parse(stdout) as { manifest: unknown }).manifest));
      else if (error.signal) reject(new Error(`Loading the plugin to read its manifest crashed (${error.signal}); it cannot be installed. Fix the plugin's entry and init.`));
      else reject(new Error(stderr.trim() || error.message));
    });
  });
}

async function tools(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const [action, argument] = positionals;
  const home = resolveHome(values.home as string | undefined);
  const progress = (event: { message: string }) => process.stderr.write(`osr-host: ${event.message}\n`);
  const registry = values.registry as string | undefined;
  const dev = values.dev === true;
  try {
    // Typed by the grammar, so every case below is one of its subcommands.
    switch (action as keyof typeof HOST_COMMANDS.tools.subcommands | undefined) {
      case 'list': {
        const host = new OsrHost(hostOptions(values));
        const { loaded, failures } = await host.loadInstalled();
        const lines = [
          ...loaded.map(({ plugin, manifest }) => `${plugin.id}  version=${manifest.version ?? '?'}  abi=${plugin.abi}  loaded`),
          ...failures.map((failure) => `${failure.pluginId}  failed: ${failure.message}`),
        ];
        await host.close();
        return finish(0, lines.length ? `${lines.join('\n')}\n` : 'No plugins installed.\n');
      }
      case 'install': {
        if (!argument) throw new UsageError('tools install needs a plugin directory, a .zip or a registry id.');
        const result = await install(argument, {
          home,
          dev,
          ...(registry ? { registry } : {}),
          ...(values.version ? { version: values.version as string } : {}),
          readManifest: manifestOfLibrary,
          onProgress: progress,
        });
        return finish(0, `Installed ${result.pluginId} ${result.version} in ${result.directory}\n`);
      }
      case 'upgrade': {
        if (!argument || !registry) throw new UsageError('tools upgrade needs a plugin id and --registry.');
        const result = await upgradePlugin(argument, { home, registry, dev, readManifest: manifestOfLibrary, onProgress: progress });
        return finish(0, result ? `Upgraded ${result.pluginId} to ${result.version}\n` : `${argument} is up to date.\n`);
      }
      case 'remove':
      case 'uninstall':
        if (!argument) throw new UsageError(`tools ${action} needs a plugin id.`);
        return finish(0, `Uninstalled ${removePlugin(home, argument)}\n`);
      case 'reset':
        new CrashGuard(toolsRoot(home), HOST_BUILD).reset();
        return finish(0, 'Cleared the loading marker and the quarantine list.\n');
      case 'retry':
        if (!argument) throw new UsageError('tools retry needs a plugin id.');
        return new CrashGuard(toolsRoot(home), HOST_BUILD).release(argument) ? finish(0, `${argument} will be loaded again.\n`) : finish(1, '', `${argument} is not quarantined.`);
      case 'trust':
        if (!argument) throw new UsageError('tools trust needs a minisign public key file.');
        trustPublisherKey(home, readFileSync(argument, 'utf8'));
        return finish(0, 'Publisher key trusted.\n');
      case 'create': {
        if (!argument) throw new UsageError('tools create needs a plugin name.');
        const language = (values.language as string | undefined) ?? 'c';
        if (language !== 'c' && language !== 'rust') throw new UsageError(`--language takes c or rust, not "${language}".`);
        const scaffold = createScaffold(argument, { language, directory: resolve((values.dir as string | undefined) ?? argument) });
        return finish(0, `Created ${scaffold.pluginId} in ${scaffold.directory}\nBuild: (cd ${scaffold.directory} && ${scaffold.build.join(' ')})\n`);
      }
      case 'reload':
        return reloadRunningHost(home);
      case 'dev':
        if (!argument) throw new UsageError('tools dev needs the plugin source directory.');
        return devLoop(argument, home);
      default:
        throw new UsageError('tools needs: list | install | upgrade | remove | reset | retry | trust | create | reload | dev.');
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return finish(1, '', `osr-host: ${describeLoadError(error)}`);
  }
}

/** Runs a forwarded `osr-host tasks …` against this host's tasks, streaming its lines as NDJSON. */
/** Largest `/admin/tasks` body: a command line, never data. */
const ADMIN_BODY_MAX_CHARS = 64 * 1024;

async function serveTasksCommand(request: http.IncomingMessage, response: http.ServerResponse, host: OsrHost): Promise<void> {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > ADMIN_BODY_MAX_CHARS) break;
  }
  if (body.length > ADMIN_BODY_MAX_CHARS) {
    response.statusCode = 413;
    response.end(JSON.stringify({ error: 'request_too_large', message: `The command is over ${ADMIN_BODY_MAX_CHARS / 1024} KiB; shorten its arguments.` }));
    return;
  }
  let argv: string[];
  try {
    argv = (JSON.parse(body) as { argv: unknown }).argv as string[];
    if (!Array.isArray(argv) || !argv.every((item) => typeof item === 'string')) throw new Error('argv must be an array of strings');
  } catch (error) {
    response.statusCode = 400;
    response.end(JSON.stringify({ error: 'invalid_request', message: (error as Error).message }));
    return;
  }
  const disconnected = new AbortController();
  response.on('close', () => disconnected.abort());
  response.setHeader('content-type', 'application/x-ndjson');
  const send = (message: object) => response.write(`${JSON.stringify(message)}\n`);
  const exit = await runTasksCli(argv, { out: (line) => send({ out: line }), err: (line) => send({ err: line }), signal: disconnected.signal }, host.tasks);
  if (!disconnected.signal.aborted) response.end(`${JSON.stringify({ exit })}\n`);
}

/** Asks the `serve` running on `home` to reload; null when none is running. */
async function requestReload(home: string): Promise<{ ok: boolean; status: number; body: string } | null> {
  const running = runningServe(home);
  if (!running) return null;
  const response = await fetch(`${running.origin}/admin/reload`, { method: 'POST', headers: { Authorization: `Bearer ${running.token}` } }).catch(
    (error: unknown) => ({ ok: false, status: 0, text: async () => String(error) }),
  );
  return { ok: response.ok, status: response.status, body: await response.text() };
}

async function reloadRunningHost(home: string): Promise<never> {
  const answer = await requestReload(home);
  if (!answer) return finish(1, '', `No osr-host serve is running on ${home}; start one with osr-host serve --home ${home}.`);
  return answer.ok ? finish(0, `${answer.body}\n`) : finish(1, '', `Reload failed (${answer.status}): ${answer.body}`);
}

/** `tools dev <dir>`: rebuild, install (dev) and reload on every source change until Ctrl-C. */
async function devLoop(directory: string, home: string): Promise<never> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const loop = new DevLoop(directory, {
    home,
    headerDirectory: dirname(createRequire(import.meta.url).resolve('@osr-host/abi-struct/include/osaurus_plugin.h')),
    readManifest: async (library) => JSON.parse(await manifestOfLibrary(library)) as { plugin_id: string; version?: string },
    reload: async () => {
      const answer = await requestReload(home);
      return answer === null ? null : answer.ok ? answer.body : `failed (${answer.status}): ${answer.body}`;
    },
    say: (line) => process.stderr.write(`osr-host: ${line}\n`),
  });
  await loop.run(stop.signal);
  return finish(0);
}

async function agents(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const [action, argument] = positionals;
  const host = new OsrHost(hostOptions(values));
  try {
    let output: string;
    if (action === 'list') {
      const chosen = host.defaultAgentId();
      output = host.agents
        .list()
        .map((agent) => `${agent.id}  ${agent.name}${agent.id === DEFAULT_AGENT_ID ? '  (built-in Default agent)' : ''}${agent.id === chosen ? '  (default for CLI and MCP)' : ''}`)
        .join('\n');
    } else if (action === 'add' && argument) {
      output = host.agents.create(argument).id;
    } else if (action === 'remove' && argument) {
      if (!host.agents.remove(argument)) return finish(1, '', `No agent ${argument}.`);
      output = `Removed ${argument.toUpperCase()}`;
    } else if (action === 'default') {
      if (argument) host.setDefaultAgent(argument);
      output = host.defaultAgentId();
    } else {
      throw new UsageError('agents needs: list | add <name> | remove <UUID> | default [UUID].');
    }
    await host.close();
    return finish(0, `${output}\n`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return finish(1, '', `osr-host: ${describeLoadError(error)}`);
  }
}

function accessKeysFile(home: string): string {
  return join(home, 'config', 'access-keys.json');
}

/** Host access keys for `owner` routes and web UIs: minted in full once, stored as hashes. */
async function keys(positionals: string[], values: Record<string, unknown>): Promise<never> {
  const [action, argument] = positionals;
  const store = new AccessKeyStore(accessKeysFile(resolveHome(values.home as string | undefined)));
  if (action === 'mint') {
    const minted = store.mint(argument ?? '');
    return finish(0, `${minted.key}\n`, `osr-host: access key ${minted.id} minted; it is shown only once.`);
  }
  if (action === 'list') return finish(0, `${JSON.stringify(store.list(), null, 2)}\n`);
  if (action === 'revoke' && argument) return store.revoke(argument) ? finish(0) : finish(1, '', `No access key ${argument}.`);
  throw new UsageError('keys needs: mint [label] | list | revoke <id>.');
}

async function serve(values: Record<string, unknown>): Promise<void> {
  const port = Number(values.port ?? 1337);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, not "${String(values.port)}".`);
  const say = (line: string) => process.stderr.write(`osr-host: ${line}\n`);
  let loaded: LoadedPlugin[] = [];
  let failures: LoadFailure[] = [];

  const home = resolveHome(values.home as string | undefined);
  const accessKeys = new AccessKeyStore(accessKeysFile(home));
  let origin = '';
  let host: OsrHost | undefined;
  const router = createPluginRouter({
    plugins: (pluginId) => {
      const entry = host?.get(pluginId);
      return entry ? { target: entry.plugin, manifest: entry.manifest, directory: dirname(entry.plugin.path) } : undefined;
    },
    baseUrl: () => origin,
    verifyAccessKey: (key) => accessKeys.verify(key),
    home,
  });
  let dashboard: InsightsDashboard | undefined;
  let mcpHandler: McpHttpHandler | undefined;
  let adminToken: string | undefined;
  let tools: ReturnType<typeof createPluginToolServer>;
  const server = http.createServer(pluginServerOptions(), (request, response) => {
    if (mcpHandler?.handle(request, response) || router.handle(request, response) || dashboard?.handle(request, response)) return;
    const isAdmin = (request.url === '/admin/reload' || request.url === '/admin/tasks') && request.method === 'POST';
    if (isAdmin) {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!adminToken || !timingSafeEqualText(presented, adminToken)) {
        response.statusCode = 401;
        response.end('{"error":"unauthorized","message":"Present the token from <home>/run/admin-token as a Bearer token."}');
        return;
      }
    }
    if (isAdmin && request.url === '/admin/tasks') {
      void serveTasksCommand(request, response, host!);
      return;
    }
    if (isAdmin) {
      void host!.reload(say).then(async ({ loaded: reloaded, failures: failed }) => {
        loaded = reloaded;
        failures = failed;
        await tools.notifyToolsChanged();
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ reloaded: reloaded.map(({ plugin }) => plugin.id), failures: failed }));
      });
      return;
    }
    if (request.url === '/health') {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          status: 'ok',
          plugins: loaded.map(({ plugin, manifest }) => ({ plugin_id: plugin.id, version: manifest.version, abi: plugin.abi })),
          failures,
        }),
      );
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  server.on('upgrade', (request, socket, head) => {
    if (!router.handleUpgrade(request, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  host = new OsrHost({ ...hostOptions(values), pluginRouteOrigin: origin });
  dashboard = createInsightsDashboard(host.insights);
  await exportTelemetry(host);
  const liveHost = host;
  tools = createPluginToolServer({
    plugins: () => liveHost.loadedPlugins(),
    agentId: agentOption(values) ?? liveHost.defaultAgentId(),
    serverInfo: { name: 'osr-host', version: HOST_VERSION },
  });
  const mcpTokenFile = join(home, 'run', 'mcp-token');
  mcpHandler = createMcpHttpHandler(tools, {
    verifyAccessKey: (key) => accessKeys.verify(key),
    loopbackToken: writeLoopbackToken(mcpTokenFile),
    acceptAgent: (agentId) => UUID.test(agentId) && agentId.toUpperCase() !== DEFAULT_AGENT_ID,
  });
  say(`home ${host.home}, host ABI level ${host.level}`);
  say(`default agent ${host.defaultAgentId()}`);
  ({ loaded, failures } = await host.loadInstalled(say));
  for (const { plugin, manifest } of loaded) say(`loaded ${manifest.plugin_id} ${manifest.version ?? ''} (plugin ABI ${plugin.abi}, ${manifest.capabilities?.tools?.length ?? 0} tools)`);
  for (const failure of failures) say(`failed to load ${failure.pluginId}: ${failure.message}`);
  const stateFiles = serveStateFiles(home);
  adminToken = writeLoopbackToken(stateFiles.token);
  writeFileDurably(stateFiles.state, `${JSON.stringify({ origin, pid: process.pid })}\n`);

  const stop = async (signal: string) => {
    say(`${signal}: unloading plugins`);
    server.close();
    rmSync(stateFiles.state, { force: true });
    await mcpHandler?.close();
    await tools.close();
    dashboard?.close();
    await host?.close();
    await finish(0);
  };
  // Before the ready line: a supervisor may signal as soon as it reads it.
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  say(`serving on ${origin} (Ctrl-C to stop)`);
  say(`insights: ${dashboard.loginUrl(origin)}`);
  say(`mcp: ${origin}/mcp (Bearer: an access key from \`osr-host keys mint\`, or the loopback token in ${mcpTokenFile})`);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'insights') {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    const code = await runInsightsCli(
      rest,
      { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text), color: process.stdout.isTTY, signal: stop.signal },
      (home) => ActivityStore.open(hostDatabasePath(resolveHome(home))),
    );
    return finish(code);
  }
  if (command === 'manifest') {
    const code = await runManifestCli(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    return finish(code);
  }
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: HOST_OPTIONS });
  if (values.help || command === undefined || HELP_COMMANDS.includes(command)) {
    return finish(command === undefined ? 2 : 0, USAGE);
  }
  const handlers: Record<Exclude<HostCommand, 'insights' | 'manifest'>, (positionals: string[], values: Record<string, unknown>) => Promise<unknown>> = {
    inspect,
    invoke,
    serve: () => serve(values),
    config,
    keys,
    tasks,
    mcp: () => mcp(values),
    tools,
    agents,
  };
  if (!Object.hasOwn(handlers, command)) throw new UsageError(`Unknown command "${command}".`);
  await handlers[command as keyof typeof handlers](positionals, values);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    void finish(2, '', `${(error as Error).message}\n\n${USAGE}`);
  } else {
    void finish(1, '', `osr-host: ${describeLoadError(error)}`);
  }
});
