import { interpretToolReply } from '@osr-host/mcp';
import { toolResult } from '@osr-host/runtime';
import { type Command, Option } from 'commander';
import { describeLoadError, OsrHost } from '../../host.js';
import { type Act, examples } from '../act.js';
import { EXIT, fail, finish, json, logger, UsageError } from '../io.js';
import { libraryPluginId } from '../manifest-probe.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';

interface InvokeOptionValues extends HostOptionValues {
  wait?: boolean;
  raw?: boolean;
}

/**
 * A tool may leave background tasks running, which end with this process: wait for them
 * with `--wait` (until each finished or waits for an answer), and say what is left.
 */
async function settleBackgroundTasks(host: OsrHost, wait: boolean): Promise<void> {
  while (wait && host.unfinishedTasks().some((task) => task.status !== 'awaiting_clarification')) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const left = host.unfinishedTasks();
  if (left.length === 0) return;
  const list = left.map((task) => `${task.id} (${task.status}${task.title ? `, ${task.title}` : ''})`).join(', ');
  logger().warn(
    `the tool started background tasks that end when invoke exits: ${list}. ${wait ? 'They wait for an answer, which only a running serve can take' : 'Pass --wait to let them finish'}; under osr-host serve they keep running.`,
  );
}

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
        .addOption(OPTION.pluginId())
        .addOption(new Option('--wait', 'wait for background tasks the tool started before exiting'))
        .addOption(new Option('--raw', 'send a payload that is not JSON as it is (plugins reading raw text)')),
      [`osr-host invoke build/libhello.so greet '{"name":"Ada"}'`, 'osr-host invoke build/libhello.so count --home .osr-home'],
    ),
    async ([library, toolId, payload], options: InvokeOptionValues) => {
      if (options.raw !== true) {
        try {
          JSON.parse(payload as string);
        } catch (error) {
          throw new UsageError(`The payload must be JSON (${(error as Error).message}): quote it for the shell, e.g. '{"name":"Ada"}', or pass --raw to send it as is.`);
        }
      }
      const host = new OsrHost(hostOptions(options));
      let loaded: Awaited<ReturnType<OsrHost['loadLibrary']>>;
      try {
        loaded = await host.loadLibrary(library as string, { pluginId: await libraryPluginId(library as string, options.pluginId) });
      } catch (error) {
        return fail(describeLoadError(error));
      }
      // Opening the activity log makes this run's host calls Insights rows (`osr-host insights`).
      void host.insights;
      const agentId = options.agent ?? host.defaultAgentId();
      const startedAt = Date.now();
      const started = performance.now();
      const outcome = await loaded.plugin.invoke('tool', toolId as string, payload as string, { agentId });
      const text = toolResult(toolId as string, outcome);
      host.recordToolCall({
        surface: 'invoke',
        pluginId: loaded.plugin.id,
        agentId,
        toolId: toolId as string,
        startedAt,
        durationMs: performance.now() - started,
        errorKind: interpretToolReply(text).errorKind,
      });
      await settleBackgroundTasks(host, options.wait === true);
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
        const { plugin, manifest } = await host.loadLibrary(library as string, { pluginId: await libraryPluginId(library as string, options.pluginId) });
        const report = { plugin_id: manifest.plugin_id, abi: plugin.abi, host_abi: host.level, manifest };
        await host.close();
        return finish(EXIT.ok, json(report));
      } catch (error) {
        return fail(describeLoadError(error));
      }
    },
  );
}
