import http from 'node:http';
import { join } from 'node:path';
import { runTasksCli } from '@osr-host/dispatch';
import { DEFAULT_AGENT_ID, isDefaultAgentId, isUuid } from '@osr-host/abi';
import { createInsightsDashboard, type InsightsDashboard } from '@osr-host/insights';
import { type AdminHandlers, handleAdminRequest, publishAdminEndpoint } from '@osr-host/lifecycle';
import { createMcpHttpHandler, createPluginToolServer, type McpHttpHandler, writeLoopbackToken } from '@osr-host/mcp';
import { AccessKeyStore, createPluginRouter, pluginServerOptions } from '@osr-host/routes';
import type { Command } from 'commander';
import { HOST_VERSION, type LoadedPlugin, type LoadFailure, OsrHost } from '../../host.js';
import { resolveHome } from '../../paths.js';
import { type Act, examples } from '../act.js';
import { EXIT, finish, logger, plural } from '../io.js';
import { landingPage } from '../landing-page.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';
import { exportTelemetry } from '../telemetry.js';
import { accessKeysFile } from './keys.js';
import { recordMcpCalls } from './mcp.js';

export function registerServeCommand(program: Command, act: Act): void {
  act(
    examples(
      withHostRuntime(program.command('serve'))
        .description('load every installed plugin and serve /health, plugin routes and web UIs, /mcp and /insights on 127.0.0.1 until SIGINT/SIGTERM')
        .addOption(OPTION.port())
        .addOption(OPTION.agent()),
      ['osr-host serve --dev --home .osr-home', 'osr-host serve --port 8080 --isolate'],
    ),
    (_args, options: HostOptionValues) => serve(options),
  );
}

async function serve(options: HostOptionValues): Promise<void> {
  const port = options.port ?? 1337;
  const say = (line: string) => logger().info(line);
  let loaded: LoadedPlugin[] = [];
  let failures: LoadFailure[] = [];

  const home = resolveHome(options.home);
  const accessKeys = new AccessKeyStore(accessKeysFile(home));
  const mcpTokenFile = join(home, 'run', 'mcp-token');
  let origin = '';
  let host: OsrHost | undefined;
  const router = createPluginRouter({
    // The host is made once the port is known; until then no plugin is loaded.
    plugins: { get: (pluginId) => host?.plugins.get(pluginId) },
    baseUrl: () => origin,
    verifyAccessKey: (key) => accessKeys.verify(key),
    home,
    onServed: (event) =>
      host?.recordRouteRequest({
        pluginId: event.pluginId,
        agentId: event.agentId,
        method: event.method,
        path: event.path,
        status: event.status,
        startedAt: Date.now() - event.durationMs,
        durationMs: event.durationMs,
        kind: event.kind,
        routeId: event.routeId,
        error: event.error,
      }),
  });
  let dashboard: InsightsDashboard | undefined;
  let mcpHandler: McpHttpHandler | undefined;
  let adminToken: string | undefined;
  let tools: ReturnType<typeof createPluginToolServer>;
  const admin: AdminHandlers = {
    runTasks: (argv, io) => runTasksCli(argv, io, host!.tasks),
    insightsLink: () => ({ url: dashboard!.newLoginUrl(origin) }),
    reload: async () => {
      const { loaded: reloaded, failures: failed } = await host!.reload(say);
      loaded = reloaded;
      failures = failed;
      await tools.notifyToolsChanged();
      return { reloaded: reloaded.map(({ plugin }) => plugin.id), failures: failed };
    },
  };
  const server = http.createServer(pluginServerOptions(), (request, response) => {
    if (mcpHandler?.handle(request, response) || router.handle(request, response) || dashboard?.handle(request, response)) return;
    if (handleAdminRequest(request, response, adminToken, admin)) return;
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health') {
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
    if (path === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-content-type-options': 'nosniff' });
      const agentId = options.agent ?? host?.defaultAgentId() ?? DEFAULT_AGENT_ID;
      response.end(request.method === 'HEAD' ? undefined : landingPage({ version: HOST_VERSION, plugins: loaded, failures, agentId, mcpTokenFile }));
      return;
    }
    response.statusCode = 404;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ error: 'not_found', message: `Nothing at ${path}; see ${origin}/ for what this host serves.` }));
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
  host = new OsrHost({ ...hostOptions(options), pluginRouteOrigin: origin });
  dashboard = createInsightsDashboard(host.insights);
  await exportTelemetry(host);
  const liveHost = host;
  tools = createPluginToolServer({
    plugins: liveHost.plugins,
    agentId: options.agent ?? liveHost.defaultAgentId(),
    serverInfo: { name: 'osr-host', version: HOST_VERSION },
    onCallEvent: recordMcpCalls(liveHost),
  });
  mcpHandler = createMcpHttpHandler(tools, {
    verifyAccessKey: (key) => accessKeys.verify(key),
    loopbackToken: writeLoopbackToken(mcpTokenFile),
    acceptAgent: (agentId) => isUuid(agentId) && !isDefaultAgentId(agentId),
  });
  say(`home ${host.home}, host ABI level ${host.level}`);
  say(`default agent ${host.defaultAgentId()}`);
  ({ loaded, failures } = await host.loadInstalled(say));
  void host.prestart();
  for (const { plugin, manifest } of loaded) {
    say(`loaded ${manifest.plugin_id} ${manifest.version ?? ''} (plugin ABI ${plugin.abi}, ${plural(manifest.capabilities?.tools?.length ?? 0, 'tool')})`);
  }
  for (const failure of failures) logger().error(`failed to load ${failure.pluginId}: ${failure.message}`);
  const adminEndpoint = publishAdminEndpoint(home, origin);
  adminToken = adminEndpoint.token;

  const stop = async (signal: string) => {
    say(`${signal}: unloading plugins`);
    server.close();
    adminEndpoint.withdraw();
    await mcpHandler?.close();
    await tools.close();
    dashboard?.close();
    await host?.close();
    await finish(EXIT.ok);
  };
  // Before the ready line: a supervisor may signal as soon as it reads it.
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  say(`serving on ${origin} (Ctrl-C to stop)`);
  say(`insights: ${dashboard.loginUrl(origin)}`);
  say(`mcp: ${origin}/mcp (Bearer: an access key from \`osr-host keys mint\`, or the loopback token in ${mcpTokenFile})`);
}
