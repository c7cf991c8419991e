import { DEFAULT_AGENT_ID } from '@osr-host/storage';
import type { Command } from 'commander';
import { describeLoadError, OsrHost } from '../../host.js';
import { type Act, examples } from '../act.js';
import { EXIT, fail, finish, json, table } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';

export function registerAgentsCommand(program: Command, act: Act): void {
  const agents = examples(program.command('agents').description("the host's agents, and the default agent CLI and MCP calls run under"), [
    'osr-host agents add research',
    'osr-host agents default 6F1E4C7A-2B59-4C1D-9A3E-0123456789AB',
  ]);
  /** Runs `work` on a host over `options.home`, closes it and prints what `work` returned. */
  const withHost = async (options: HostOptionValues, work: (host: OsrHost) => string | Promise<string> | Promise<never>) => {
    const host = new OsrHost(hostOptions(options));
    try {
      const output = await work(host);
      await host.close();
      return finish(EXIT.ok, output);
    } catch (error) {
      return fail(describeLoadError(error));
    }
  };
  act(withHostRuntime(agents.command('list').description('list the agents')).addOption(OPTION.json()), (_args, options: HostOptionValues) =>
    withHost(options, (host) => {
      const chosen = host.defaultAgentId();
      const listed = host.agents.list().map((agent) => ({ ...agent, builtIn: agent.id === DEFAULT_AGENT_ID, default: agent.id === chosen }));
      if (options.json) return json(listed);
      const note = (agent: (typeof listed)[number]) => [agent.builtIn ? 'built-in Default agent' : '', agent.default ? 'default for CLI and MCP' : ''].filter(Boolean).join(', ');
      return table(['ID', 'NAME', 'NOTE'], listed.map((agent) => [agent.id, agent.name, note(agent)]));
    }),
  );
  act(withHostRuntime(agents.command('add').description('create an agent and print its id').argument('<name>')), ([name], options: HostOptionValues) =>
    withHost(options, (host) => `${host.agents.create(name as string).id}\n`),
  );
  act(withHostRuntime(agents.command('remove').description("remove an agent (its routed plugins hear its tunnel is gone first, then its secrets go)").argument('<uuid>')), ([id], options: HostOptionValues) =>
    withHost(options, async (host) => {
      // The agent's routed plugins are told its tunnel is gone before its secrets go, so they must be loaded.
      await host.loadInstalled();
      return (await host.removeAgent(id as string)) ? `Removed ${(id as string).toUpperCase()}\n` : fail(`No agent ${id}; see \`osr-host agents list\`.`);
    }),
  );
  act(withHostRuntime(agents.command('default').description('print, or with a UUID choose, the default agent for CLI and MCP calls').argument('[uuid]')), ([id], options: HostOptionValues) =>
    withHost(options, (host) => {
      if (id) host.setDefaultAgent(id as string);
      return `${host.defaultAgentId()}\n`;
    }),
  );
}
