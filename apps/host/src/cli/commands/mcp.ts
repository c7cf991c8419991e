import { createPluginToolServer, serveStdio, type ToolCallEvent } from '@osr-host/mcp';
import { type Command, Option } from 'commander';
import { HOST_VERSION, OsrHost } from '../../host.js';
import { type Act, examples } from '../act.js';
import { EXIT, fail, finish, logger } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';
import { exportTelemetry } from '../telemetry.js';

/** Records every finished MCP tool call as an Insights row. */
export function recordMcpCalls(host: OsrHost): (event: ToolCallEvent) => void {
  return (event) => {
    if (event.type !== 'finished') return;
    host.recordToolCall({
      surface: 'mcp',
      pluginId: event.pluginId,
      agentId: event.agentId,
      toolId: event.toolId,
      startedAt: Date.now() - event.durationMs,
      durationMs: event.durationMs,
      errorKind: event.cancelled ? 'cancelled' : event.errorKind,
    });
  };
}

export function registerMcpCommand(program: Command, act: Act): void {
  act(
    examples(
      withHostRuntime(program.command('mcp'))
        .description("serve every installed plugin's tools over MCP on stdin/stdout (logs go to stderr)")
        .addOption(OPTION.agent())
        .addOption(new Option('--wait', 'serve even when no plugin has a tool (for plugins installed later)')),
      ['osr-host mcp --home ~/.osaurus', 'osr-host mcp --dev --home .osr-home'],
    ),
    async (_args, options: HostOptionValues & { wait?: boolean }) => {
      const host = new OsrHost(hostOptions(options));
      // Opening the activity log makes the session's host calls Insights rows.
      void host.insights;
      await exportTelemetry(host);
      const { failures } = await host.loadInstalled();
      void host.prestart();
      for (const failure of failures) logger().error(`failed to load ${failure.pluginId}: ${failure.message}`);
      const tools = createPluginToolServer({
        plugins: host.plugins,
        agentId: options.agent ?? host.defaultAgentId(),
        serverInfo: { name: 'osr-host', version: HOST_VERSION },
        onCallEvent: recordMcpCalls(host),
      });
      if (tools.listTools().length === 0 && options.wait !== true) {
        await host.close();
        const why = failures.length > 0 ? `${failures.length} plugin(s) failed to load` : `no plugin with tools is installed in ${host.home}`;
        return fail(`nothing to serve over MCP: ${why}. Install a plugin (osr-host tools install), pass --dev for unsigned development installs, or --wait to serve anyway.`);
      }
      await (await serveStdio(tools)).closed;
      await tools.close();
      await host.close();
      return finish(EXIT.ok);
    },
  );
}
