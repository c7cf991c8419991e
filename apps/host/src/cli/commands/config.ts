import type { Command } from 'commander';
import { describeLoadError, OsrHost } from '../../host.js';
import { type Act, examples } from '../act.js';
import { EXIT, fail, finish } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';

/** Plugin config on the keychain, per (plugin, agent, key); without --agent, the plugin-wide (Default agent) value. */
export function registerConfigCommand(program: Command, act: Act): void {
  const config = examples(
    program.command('config').description("plugin config on the OS keychain; without --agent, the plugin-wide (Default agent) value"),
    ['osr-host config set dev.osr.hello greeting Hi', 'osr-host config get dev.osr.hello greeting --agent 6F1E4C7A-2B59-4C1D-9A3E-0123456789AB'],
  );
  const run = async (pluginId: string, key: string, options: HostOptionValues, change?: { value: string | null }) => {
    const host = new OsrHost(hostOptions(options));
    const agentId = options.agent ?? null;
    try {
      if (!change) {
        const found = await (await host.config()).get({ pluginId, agentId }, key);
        await host.close();
        return found === null ? fail(`No value for ${key} of ${pluginId}.`) : finish(EXIT.ok, `${found}\n`);
      }
      await host.setConfig(pluginId, agentId, key, change.value);
      await host.close();
      return finish(EXIT.ok);
    } catch (error) {
      return fail(describeLoadError(error));
    }
  };
  const subcommand = (name: string, description: string) =>
    withHostRuntime(config.command(name).description(description).argument('<plugin_id>').argument('<key>')).addOption(OPTION.agent());
  act(subcommand('get', 'print a config value (exit 1 when unset)'), ([pluginId, key], options: HostOptionValues) => run(pluginId as string, key as string, options));
  act(subcommand('set', 'store a config value and tell the loaded plugin').argument('<value>'), ([pluginId, key, value], options: HostOptionValues) =>
    run(pluginId as string, key as string, options, { value: value as string }),
  );
  act(subcommand('delete', 'remove a config value'), ([pluginId, key], options: HostOptionValues) => run(pluginId as string, key as string, options, { value: null }));
}
