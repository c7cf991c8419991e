import { createPluginToolServer, serveStdio } from '@osr-host/mcp';
import type { Command } from 'commander';
import { HOST_VERSION, OsrHost } from '../../host.js';
import { type Act, examples } from '../act.js';
import { EXIT, finish } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';
import { exportTelemetry } from '../telemetry.js';

export function registerMcpCommand(program: Command, act: Act): void {
  act(
    examples(
      withHostRuntime(program.command('mcp'))
        .description("serve every installed plugin's tools over MCP on stdin/stdout (logs go to stderr)")
        .addOption(OPTION.agent()),
      ['osr-host mcp --home ~/.osaurus', 'osr-host mcp --dev --home .osr-home'],
    ),
    async (_args, options: HostOptionValues) => {
      const host = new OsrHost(hostOptions(options));
      // Opening the activity log makes the session's host calls Insights rows.
      void host.insights;
      await exportTelemetry(host);
      const { failures } = await host.loadInstalled();
      for (const failure of failures) process.stderr.write(`osr-host: failed to load ${failure.pluginId}: ${failure.message}\n`);
      const tools = createPluginToolServer({
        plugins: () => host.loadedPlugins(),
        agentId: options.agent ?? host.defaultAgentId(),
        serverInfo: { name: 'osr-host', version: HOST_VERSION },
      });
      await (await serveStdio(tools)).closed;
      await tools.close();
      await host.close();
      return finish(EXIT.ok);
    },
  );
}
