import { toolResult } from '@osr-host/runtime';
import type { Command } from 'commander';
import { describeLoadError, OsrHost } from '../../host.js';
import { type Act, examples } from '../act.js';
import { EXIT, finish, json } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';

/** `invoke` and `inspect`: one library, loaded for one call or one look. */
export function registerPluginLibraryCommands(program: Command, act: Act): void {
  act(
    examples(
      withHostRuntime(program.command('invoke'))
        .description('load one library, run one tool and print exactly what the plugin returned (exit 0 even for ok:false)')
        .argument('<library>', 'path to the plugin library (.so / .dylib)')
        .argument('<tool_id>', 'the tool to run')
        .argument('[payload-json]', 'the tool arguments as JSON', '{}')
        .addOption(OPTION.agent())
        .addOption(OPTION.pluginId()),
      [`osr-host invoke build/libhello.so greet '{"name":"Ada"}'`, 'osr-host invoke build/libhello.so count --home .osr-home'],
    ),
    async ([library, toolId, payload], options: HostOptionValues) => {
      const host = new OsrHost(hostOptions(options));
      let loaded: Awaited<ReturnType<OsrHost['loadLibrary']>>;
      try {
        loaded = await host.loadLibrary(library as string, { pluginId: options.pluginId });
      } catch (error) {
        return finish(EXIT.failed, '', describeLoadError(error));
      }
      // Opening the activity log makes this run's host calls Insights rows (`osr-host insights`).
      void host.insights;
      const agentId = options.agent ?? host.defaultAgentId();
      const outcome = await loaded.plugin.invoke('tool', toolId as string, payload as string, { agentId });
      const text = toolResult(toolId as string, outcome);
      await host.close();
      return finish(EXIT.ok, `${text}\n`);
    },
  );

  act(
    examples(
      withHostRuntime(program.command('inspect'))
        .description('load one library and print {plugin_id, abi, host_abi, manifest}: its table version, the host ABI level in effect, its manifest')
        .argument('<library>', 'path to the plugin library (.so / .dylib)')
        .addOption(OPTION.pluginId()),
      ['osr-host inspect build/libhello.so', 'osr-host inspect build/libhello.so --abi 5'],
    ),
    async ([library], options: HostOptionValues) => {
      const host = new OsrHost(hostOptions(options));
      try {
        const { plugin, manifest } = await host.loadLibrary(library as string, { pluginId: options.pluginId });
        const report = { plugin_id: manifest.plugin_id, abi: plugin.abi, host_abi: host.level, manifest };
        await host.close();
        return finish(EXIT.ok, json(report));
      } catch (error) {
        return finish(EXIT.failed, '', describeLoadError(error));
      }
    },
  );
}
