import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  askRunningServe,
  CrashGuard,
  consentToInstalled,
  createScaffold,
  DevLoop,
  diagnoseInstalled,
  formatHealthReport,
  install,
  outdatedPlugins,
  packageProject,
  readTrustedKeys,
  removePlugin,
  rollbackPlugin,
  searchRegistry,
  toolsRoot,
  trustPublisherKey,
  upgradePlugin,
  verifyInstalled,
} from '@osr-host/lifecycle';
import { type Command, Option } from 'commander';
import { describeLoadError, HOST_BUILD, OsrHost } from '../../host.js';
import { readHostConfig } from '../../host-config.js';
import { resolveHome } from '../../paths.js';
import { manifestOfLibrary } from '../manifest-probe.js';
import { type Act, examples } from '../act.js';
import { colors, EXIT, fail, finish, json, logger, table } from '../io.js';
import { type HostOptionValues, hostOptions, OPTION, withHostRuntime } from '../options.js';

interface ToolsOptionValues extends HostOptionValues {
  registry?: string;
  version?: string;
  language?: 'c' | 'rust';
  dir?: string;
  consent?: boolean;
}

/** The Osaurus release host.json names, which registry requirements are checked against (unset: not checked). */
function osaurusVersionOf(home: string): { osaurusVersion?: string } {
  const { osaurusVersion } = readHostConfig(home);
  return osaurusVersion === undefined ? {} : { osaurusVersion };
}

const registryOption = (description: string) => new Option('--registry <dir|url>', description);
const exitForProblems = (rows: ReadonlyArray<{ problems: readonly unknown[] }>) => (rows.some((row) => row.problems.length > 0) ? EXIT.failed : EXIT.ok);

/** Install steps on stderr; the last one is left to the result line on stdout, so the result shows once. */
const progress = (event: { step: string; message: string }) => {
  if (event.step !== 'done') logger().info(event.message);
};

/** Runs one tools action; a library or lifecycle failure exits 1 with its message. */
const guarded =
  <A extends unknown[]>(work: (...args: A) => Promise<never>) =>
  async (...args: A): Promise<never> => {
    try {
      return await work(...args);
    } catch (error) {
      return fail(describeLoadError(error));
    }
  };

async function reloadRunningHost(home: string): Promise<never> {
  const answer = await askRunningServe(home, 'reload');
  if (!answer) return fail(`No osr-host serve is running on ${home}; start one with osr-host serve --home ${home}.`);
  return answer.ok ? finish(EXIT.ok, `${answer.body}\n`) : fail(`Reload failed (${answer.status}): ${answer.body}`);
}

/** `tools dev <dir>`: rebuild, install (dev) and reload on every source change until Ctrl-C. */
async function devLoop(directory: string, home: string): Promise<never> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const loop = new DevLoop(directory, {
    home,
    readManifest: async (library) => JSON.parse(await manifestOfLibrary(library)) as { plugin_id: string; version?: string },
    reload: async () => {
      const answer = await askRunningServe(home, 'reload');
      return answer === null ? null : answer.ok ? answer.body : `failed (${answer.status}): ${answer.body}`;
    },
    say: (line) => logger().info(line),
  });
  await loop.run(stop.signal);
  return finish(EXIT.ok);
}

export function registerToolsCommand(program: Command, act: Act): void {
  const tools = examples(program.command('tools').description('install, verify, consent, quarantine, scaffolds and the dev loop'), [
    'osr-host tools create my-plugin --language c',
    'osr-host tools install ./dev.osr.hello-1.0.0.zip',
    'osr-host tools list --json',
  ]);
  const home = (options: HostOptionValues) => resolveHome(options.home);

  act(
    withHostRuntime(tools.command('list').description('every installed plugin: loaded, or why not')).addOption(OPTION.json()),
    guarded(async (_args: unknown, options: ToolsOptionValues) => {
      const host = new OsrHost(hostOptions(options));
      const { loaded, failures } = await host.loadInstalled();
      const rows = [
        ...loaded.map(({ plugin, manifest }) => ({ plugin_id: plugin.id, version: manifest.version ?? null, abi: plugin.abi, status: 'loaded', message: null })),
        ...failures.map((failure) => ({ plugin_id: failure.pluginId, version: null, abi: null, status: 'failed', message: failure.message })),
      ];
      await host.close();
      if (options.json) return finish(EXIT.ok, json(rows));
      if (rows.length === 0) return finish(EXIT.ok, 'No plugins installed; see `osr-host tools install --help`.\n');
      const status = (row: (typeof rows)[number]) => (row.status === 'loaded' ? colors.green('loaded') : colors.red(`failed: ${row.message}`));
      return finish(EXIT.ok, table(['PLUGIN', 'VERSION', 'ABI', 'STATUS'], rows.map((row) => [row.plugin_id, row.version ?? '?', row.abi === null ? '-' : String(row.abi), status(row)])));
    }),
  );

  act(
    tools
      .command('install')
      .description('install a plugin: a directory or .zip named <plugin_id>-<version>, a project directory (.), an https:// URL of an archive, or a registry id')
      .argument('<dir|zip|url|id>')
      .addOption(OPTION.home())
      .addOption(OPTION.dev())
      .addOption(registryOption('the registry to resolve an id in'))
      .addOption(new Option('--version <version>', 'the version to install from the registry (default: the newest this host qualifies for)'))
      .addOption(new Option('--consent', 'approve a sideloaded plugin now (else it loads only after `tools consent <id>`)')),
    guarded(async ([source]: readonly unknown[], options: ToolsOptionValues) => {
      const result = await install(source as string, {
        home: home(options),
        dev: options.dev === true,
        ...(options.registry ? { registry: options.registry } : {}),
        ...osaurusVersionOf(home(options)),
        ...(options.version ? { version: options.version } : {}),
        consent: options.consent === true,
        readManifest: manifestOfLibrary,
        onProgress: progress,
      });
      return finish(EXIT.ok, `Installed ${result.pluginId} ${result.version} in ${result.directory}\n`);
    }),
  );

  act(
    tools.command('consent').description("approve an installed plugin's requirements, so it loads").argument('<id>').addOption(OPTION.home()),
    guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) => {
      await consentToInstalled(home(options), id as string, manifestOfLibrary);
      return finish(EXIT.ok, `Consent recorded for ${id}; it loads from the next start or reload.\n`);
    }),
  );

  act(
    tools.command('verify').description("check installed files: receipt, SHA-256, one library, a `current` that resolves (exit 1 on any problem)").argument('[id]').addOption(OPTION.home()),
    guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) => {
      const rows = verifyInstalled(home(options), id as string | undefined);
      return finish(exitForProblems(rows), formatHealthReport(rows, false));
    }),
  );

  act(
    tools.command('doctor').description('what keeps each installed plugin from loading, and what to do (exit 1 on any problem)').argument('[id]').addOption(OPTION.home()),
    guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) => {
      const rows = diagnoseInstalled(home(options), { trustedKeys: readTrustedKeys(home(options)), hostBuild: HOST_BUILD }, id as string | undefined);
      return finish(exitForProblems(rows), formatHealthReport(rows, true));
    }),
  );

  act(
    tools.command('rollback').description('go back to the previous installed version').argument('<id>').addOption(OPTION.home()),
    guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) => {
      const { from, to } = rollbackPlugin(home(options), id as string);
      return finish(EXIT.ok, `Rolled ${id} back from ${from} to ${to}; run osr-host tools reload if a serve is running.\n`);
    }),
  );

  act(
    tools
      .command('package')
      .description('build <id>-<version>.zip, ready to sign and install, from a project directory')
      .argument('[dir]', 'the project directory', '.')
      .addOption(new Option('--dir <dir>', 'where to write the zip (default: .)')),
    guarded(async ([project]: readonly unknown[], options: ToolsOptionValues) => {
      const packaged = packageProject(resolve(project as string), resolve(options.dir ?? '.'));
      return finish(EXIT.ok, `Packaged ${packaged.project.pluginId} ${packaged.project.version} as ${packaged.path}\n`);
    }),
  );

  act(
    tools
      .command('outdated')
      .description('installed plugins with a newer version in the registry')
      .addOption(OPTION.home())
      .addOption(registryOption('the registry to compare with').makeOptionMandatory())
      .addOption(OPTION.json()),
    guarded(async (_args: unknown, options: ToolsOptionValues) => {
      const rows = outdatedPlugins(home(options), options.registry as string, osaurusVersionOf(home(options)));
      if (options.json) return finish(EXIT.ok, json(rows));
      if (rows.length === 0) return finish(EXIT.ok, 'Every installed plugin is up to date.\n');
      return finish(EXIT.ok, table(['PLUGIN', 'INSTALLED', 'AVAILABLE'], rows.map((row) => [row.pluginId, row.installed, row.available])));
    }),
  );

  act(
    tools
      .command('search')
      .description("plugins in the registry whose id, name or description matches")
      .argument('[query]')
      .addOption(registryOption('the registry to search').makeOptionMandatory())
      .addOption(OPTION.json()),
    guarded(async ([query]: readonly unknown[], options: ToolsOptionValues) => {
      const rows = searchRegistry(options.registry as string, query as string | undefined);
      if (options.json) return finish(EXIT.ok, json(rows));
      if (rows.length === 0) return finish(EXIT.ok, 'No plugin matches.\n');
      return finish(EXIT.ok, table(['PLUGIN', 'LATEST', 'DESCRIPTION'], rows.map((row) => [row.pluginId, row.latest ?? '-', row.description ?? row.name ?? ''])));
    }),
  );

  act(
    tools
      .command('upgrade')
      .description('install the newest registry version of an installed plugin')
      .argument('<id>')
      .addOption(OPTION.home())
      .addOption(OPTION.dev())
      .addOption(registryOption('the registry to resolve the id in').makeOptionMandatory()),
    guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) => {
      const result = await upgradePlugin(id as string, {
        home: home(options),
        registry: options.registry as string,
        dev: options.dev === true,
        ...osaurusVersionOf(home(options)),
        readManifest: manifestOfLibrary,
        onProgress: progress,
      });
      return finish(EXIT.ok, result ? `Upgraded ${result.pluginId} to ${result.version}\n` : `${id} is up to date.\n`);
    }),
  );

  for (const name of ['remove', 'uninstall']) {
    act(
      tools.command(name).description('remove an installed plugin (its data stays)').argument('<id>').addOption(OPTION.home()),
      guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) => finish(EXIT.ok, `Uninstalled ${removePlugin(home(options), id as string)}\n`)),
    );
  }

  act(
    tools.command('reset').description('clear the loading marker and the quarantine list').addOption(OPTION.home()),
    guarded(async (_args: unknown, options: ToolsOptionValues) => {
      new CrashGuard(toolsRoot(home(options)), HOST_BUILD).reset();
      return finish(EXIT.ok, 'Cleared the loading marker and the quarantine list.\n');
    }),
  );

  act(
    tools.command('retry').description('let a quarantined plugin load again').argument('<id>').addOption(OPTION.home()),
    guarded(async ([id]: readonly unknown[], options: ToolsOptionValues) =>
      new CrashGuard(toolsRoot(home(options)), HOST_BUILD).release(id as string) ? finish(EXIT.ok, `${id} will be loaded again.\n`) : fail(`${id} is not quarantined.`),
    ),
  );

  act(
    tools.command('trust').description("trust a publisher's minisign public key").argument('<key.pub>').addOption(OPTION.home()),
    guarded(async ([keyFile]: readonly unknown[], options: ToolsOptionValues) => {
      trustPublisherKey(home(options), readFileSync(keyFile as string, 'utf8'));
      return finish(EXIT.ok, 'Publisher key trusted.\n');
    }),
  );

  act(
    tools
      .command('create')
      .description('scaffold a plugin project in C or Rust that builds as it is')
      .argument('<name>')
      .addOption(new Option('--language <language>', 'the language of the scaffold').choices(['c', 'rust']).default('c'))
      .addOption(new Option('--dir <dir>', 'where to create it (default: ./<name>)')),
    guarded(async ([name]: readonly unknown[], options: ToolsOptionValues) => {
      const scaffold = createScaffold(name as string, { language: options.language ?? 'c', directory: resolve(options.dir ?? (name as string)) });
      return finish(EXIT.ok, `Created ${scaffold.pluginId} in ${scaffold.directory}\nBuild: (cd ${scaffold.directory} && ${scaffold.build.join(' ')})\n`);
    }),
  );

  act(
    tools.command('reload').description('ask the running serve to reload every plugin').addOption(OPTION.home()),
    guarded(async (_args: unknown, options: ToolsOptionValues) => reloadRunningHost(home(options))),
  );

  act(
    tools.command('dev').description('rebuild, install (dev) and reload on every source change until Ctrl-C').argument('<dir>').addOption(OPTION.home()),
    guarded(async ([directory]: readonly unknown[], options: ToolsOptionValues) => devLoop(directory as string, home(options))),
  );
}
