import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import hostPackage from '../package.json' with { type: 'json' };
import type { PluginDirectory, PluginEntry } from '@osr-host/abi';
import { ABI_PROBE_KEY, AbiError, DEFAULT_HOST_ABI_LEVEL, type HostAbiLevel } from '@osr-host/abi-struct';
import {
  ConfigDelivery,
  ConfigStore,
  composeFullPush,
  type DeclaredConfigField,
  openSecretStore,
  type SecretStoreBackend,
} from '@osr-host/config-keychain';
import { dispatchMigrations, TaskManager, type TaskSnapshot, UNFINISHED_STATUSES } from '@osr-host/dispatch';
import { createInferenceHost, type InferenceHost, loadInferenceConfig } from '@osr-host/inference-stream';
import { CrashGuard, installedPluginIds, LifecycleError, readTrustedKeys, scanPlugins, toolsRoot, writeFileDurably } from '@osr-host/lifecycle';
import { type Manifest, ManifestError, loadManifest } from '@osr-host/manifest';
import {
  ActivityStore,
  createOtlpExport,
  insightsMigrations,
  type NewActivityRow,
  type OtlpExport,
  type OtlpExportOptions,
  type PluginLogEntry,
  type RouteRequestInput,
  routeRequestRow,
  type ToolCallInput,
  toolCallRow,
  WarningLog,
} from '@osr-host/insights';
import { createNet, type Net } from '@osr-host/net';
import { type PluginInstance, PluginRuntime, type PluginTimeouts, RuntimeError, SlotServer } from '@osr-host/runtime';
import {
  type AgentRegistry,
  agentRegistry,
  createPluginStorage,
  DEFAULT_AGENT_ID,
  type HostDatabase,
  hostDatabasePath,
  openHostDatabase,
  type PluginStorage,
  pluginDataDirectory,
} from '@osr-host/storage';
import { buildHostApi } from './host-api.js';
import { createLogger, type Logger, pluginLogWriter } from './log.js';
import { type HostConfigFile, hostConfigPath, readConfigFile, readHostConfig } from './host-config.js';
import { configChangeMarkerPath, pluginIdForLibrary } from './paths.js';

/** This host's own version (its package.json): its User-Agent, MCP server info, `--version` and build stamp. */
export const HOST_VERSION: string = hostPackage.version;
/** The build stamp quarantine rows carry (D5): a new host build releases them once. */
export const HOST_BUILD = `osr-host/${HOST_VERSION}`;

export interface HostOptions {
  home: string;
  level?: HostAbiLevel;
  timeouts?: Partial<PluginTimeouts>;
  /** `host:port` entries plugins may reach despite the SSRF guard (`--allow-net`). */
  allowNet?: string[];
  /** This host's own plugin-route server, which plugins may always call (the seed's cross-plugin pattern). */
  pluginRouteOrigin?: string;
  /** Secret-store backend for config (default `auto`: OS keychain, else the encrypted file). */
  secretBackend?: SecretStoreBackend;
  /**
   * Run plugins in child processes of their own (D21): `true` for all, or a list of plugin ids.
   * `<home>/config/host.json` may also list ids under `"isolate"`.
   */
  isolate?: boolean | string[];
  /** Dev mode: load installed plugins without verifying receipt, signature and consent. */
  dev?: boolean;
  /** Where status lines, one-shot warnings and plugin logs go (default: JSON lines on stderr). */
  logger?: Logger;
}

export interface LoadedPlugin {
  plugin: PluginInstance;
  manifest: Manifest;
  notes: string[];
}

export interface LoadFailure {
  pluginId: string;
  library: string | null;
  message: string;
}

/**
 * The reference host: one plugin runtime whose host table is built from the
 * packages, plus the host's own state under `home` (agents, config, data).
 */
export class OsrHost {
  readonly home: string;
  readonly level: HostAbiLevel;
  readonly runtime: PluginRuntime;
  readonly storage: PluginStorage;
  private readonly isolates: (pluginId: string) => boolean;
  private slotServer: SlotServer | undefined;
  readonly net: Net;
  readonly inference: InferenceHost;
  readonly delivery: ConfigDelivery;
  private readonly logger: Logger;
  private readonly writePluginLog: (log: PluginLogEntry) => void;
  private readonly secretBackend: SecretStoreBackend | undefined;
  private readonly dev: boolean;
  /** The plugin registry: every loaded plugin by id. */
  private readonly loaded = new Map<string, PluginEntry<PluginInstance, Manifest>>();
  /**
   * The loaded plugins as every package reaches them (P171): a live view of the registry,
   * handed to inference, config delivery, dispatch, the routes and MCP.
   */
  readonly plugins: PluginDirectory<PluginInstance, Manifest> = {
    get: (id) => this.loaded.get(id),
    list: () => [...this.loaded.values()],
  };
  readonly warnings: WarningLog;
  private hostDatabase: HostDatabase | undefined;
  private agentList: AgentRegistry | undefined;
  private activity: ActivityStore | undefined;
  private otlp: OtlpExport | undefined;
  private configStore: Promise<ConfigStore> | undefined;
  private taskManager: TaskManager | undefined;

  constructor(options: HostOptions) {
    this.home = options.home;
    this.level = options.level ?? DEFAULT_HOST_ABI_LEVEL;
    this.secretBackend = options.secretBackend;
    this.dev = options.dev ?? false;
    this.logger = options.logger ?? createLogger('json', process.stderr);
    this.writePluginLog = pluginLogWriter(this.logger);
    // One-shot warnings: logged once, kept, and stored in insights once it is open.
    this.warnings = new WarningLog({ print: (_line, entry) => this.logger.warn({ plugin: entry.pluginId, key: entry.key }, entry.message) });
    const warn = this.warnings.warn;
    this.storage = createPluginStorage({ home: this.home });
    this.net = createNet({
      home: this.home,
      allow: options.allowNet ?? [],
      hostProduct: `osr-host/${HOST_VERSION}`,
      ...(options.pluginRouteOrigin ? { pluginRouteOrigin: options.pluginRouteOrigin } : {}),
    });
    const hostConfig = this.readHostConfig();
    this.inference = createInferenceHost({
      ...loadInferenceConfig(this.readInferenceConfig(), process.env),
      ...(hostConfig.exposedModels !== undefined ? { exposedModels: hostConfig.exposedModels } : {}),
      plugins: this.plugins,
      warn,
    });
    this.delivery = new ConfigDelivery({ warn, plugins: this.plugins });
    const isolated = options.isolate ?? hostConfig.isolate ?? false;
    this.isolates = Array.isArray(isolated) ? (pluginId) => isolated.includes(pluginId) : () => isolated;
    this.runtime = new PluginRuntime({
      isolate: this.isolates,
      dataDirectory: (pluginId) => pluginDataDirectory(this.home, pluginId),
      ...(hostConfig.pluginMemoryLimitMb !== undefined ? { memoryLimitBytes: hostConfig.pluginMemoryLimitMb * 1024 * 1024 } : {}),
      level: this.level,
      timeouts: options.timeouts,
      // config_get answers are kept on the plugin's side until a config write moves this marker (P178).
      configChangeMarker: configChangeMarkerPath(this.home),
      hostApi: buildHostApi({
        storage: this.storage,
        config: () => this.config(),
        net: this.net,
        inference: this.inference,
        tasks: () => this.tasks,
        printPluginLog: (pluginId, level, message, payload) => {
          if (!this.activity) this.writePluginLog({ pluginId, level, message, payload });
        },
      }),
    });
  }

  /** The host database (agents, insights), opened on first use so commands that need none write nothing under `home`. */
  get database(): HostDatabase {
    this.hostDatabase ??= openHostDatabase(hostDatabasePath(this.home), { migrations: [insightsMigrations, dispatchMigrations] });
    return this.hostDatabase;
  }

  get agents(): AgentRegistry {
    this.agentList ??= agentRegistry(this.database);
    return this.agentList;
  }

  /**
   * The activity store: from now on every host call, warning and plugin crash is recorded
   * (batched, off the plugins' threads). One-shot commands open it too, so
   * `osr-host insights` shows what `osr-host invoke` did.
   */
  get insights(): ActivityStore {
    if (!this.activity) {
      const store = new ActivityStore(this.database, {
        consoleLine: (_line, log) => this.writePluginLog(log),
        onError: (error) => this.logger.error(`insights: ${String(error)}`),
        onRowsWritten: (rows) => this.otlp?.exportRows(rows),
      });
      this.activity = store;
      this.runtime.events.on('hostCall', (record) => store.record(record));
      this.runtime.events.on('pluginCrashed', ({ pluginId, message }) => store.append(processRow(pluginId, message, 500)));
      this.runtime.events.on('pluginQuarantined', ({ pluginId, message }) => store.append(processRow(pluginId, message, 503)));
      this.runtime.events.on('pluginRecycled', ({ pluginId, message }) => store.append(processRow(pluginId, message, 504)));
      this.warnings.attachStore(store);
    }
    return this.activity;
  }

  /** Records one tool call of a surface (MCP, `invoke`) as an Insights row. */
  recordToolCall(call: ToolCallInput): void {
    this.insights.append(toolCallRow(call));
  }

  /** Records one request to a plugin's routes or web UI as an Insights row. */
  recordRouteRequest(request: RouteRequestInput): void {
    this.insights.append(routeRequestRow(request));
  }

  /** From now on, also sends every Insights row to an OpenTelemetry collector (spans and log records). */
  async exportToOtlp(options: OtlpExportOptions): Promise<void> {
    this.otlp = await createOtlpExport(options);
  }

  /**
   * The agent CLI and MCP calls run under unless told otherwise (D8): the one chosen with
   * `osr-host agents default`, else the first ordinary agent (created on first run).
   */
  defaultAgentId(): string {
    const chosen = this.readHostConfig().defaultAgent;
    return (chosen ? this.agents.get(chosen)?.id : undefined) ?? this.agents.ensureFirstOrdinaryAgent().id;
  }

  /** Makes `agentId` the default agent of CLI and MCP calls. */
  setDefaultAgent(agentId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent || agent.id === DEFAULT_AGENT_ID) throw new Error(`${agentId} is not an ordinary agent of this host; see osr-host agents list.`);
    this.writeHostConfig({ ...this.readHostConfig(), defaultAgent: agent.id });
  }

  /**
   * Removes an ordinary agent as upstream does: first each loaded plugin that
   * declares routes handles `tunnel_url = ""` for it (awaited, past dedup),
   * then the agent's secrets are deleted from every plugin, then the agent.
   * False when there is no such agent.
   */
  async removeAgent(agentId: string): Promise<boolean> {
    const agent = this.agents.get(agentId);
    if (!agent) return false;
    // The built-in Default agent cannot be removed: the registry refuses it before anything is told or deleted.
    if (agent.id === DEFAULT_AGENT_ID) return this.agents.remove(agent.id);
    for (const { instance: plugin, manifest } of this.loaded.values()) {
      if (!manifest.capabilities?.routes?.length) continue;
      await this.delivery.notifyAndWait(plugin.id, agent.id, [['tunnel_url', '']], { force: true }).catch((error: unknown) =>
        this.warnings.warn(`${plugin.id}|on_config_changed|agent_removed`, `Telling ${plugin.id} that agent ${agent.id} is gone failed: ${String(error)}`),
      );
    }
    const config = await this.config();
    await config.deleteAllForAgent(agent.id, new Set([...installedPluginIds(this.home), ...this.loaded.keys()]));
    return this.agents.remove(agent.id);
  }

  /** Config on the OS keychain (or its encrypted-file fallback), opened on first use. */
  config(): Promise<ConfigStore> {
    this.configStore ??= openSecretStore({
      backend: this.secretBackend ?? 'auto',
      fallbackFilePath: join(this.home, 'config', 'secrets.enc'),
      warn: (_key, message) => this.logger.warn(message),
    }).then(
      (secrets) =>
        new ConfigStore({
          secrets,
          warn: this.warnings.warn,
          onPluginWrite: (pluginId, agentId, key, value) => this.delivery.notePluginWrite(pluginId, agentId, key, value),
          changeMarkerPath: configChangeMarkerPath(this.home),
        }),
    );
    return this.configStore;
  }

  /** Background tasks of this process that have not finished (none when no plugin dispatched any). */
  unfinishedTasks(): TaskSnapshot[] {
    return this.taskManager?.list().filter((task) => UNFINISHED_STATUSES.includes(task.status)) ?? [];
  }

  /** Background agent tasks (dispatch), started on first use; sessions persist in the host database. */
  get tasks(): TaskManager {
    this.taskManager ??= new TaskManager({
      inference: this.inference,
      database: this.database,
      warn: this.warnings.warn,
      plugins: this.plugins,
    });
    return this.taskManager;
  }

  /**
   * Host-side config write (CLI, UI): stores the value and delivers it to the
   * plugin if it is loaded here; `null` deletes and delivers `""` as upstream's
   * Disconnect does. `agentId` null means the plugin-wide (Default agent) value.
   */
  async setConfig(pluginId: string, agentId: string | null, key: string, value: string | null): Promise<void> {
    const config = await this.config();
    if (value === null) await config.delete({ pluginId, agentId }, key);
    else await config.set({ pluginId, agentId }, key, value);
    if (this.loaded.has(pluginId)) {
      await this.delivery.notifyAndWait(pluginId, agentId ?? DEFAULT_AGENT_ID, [[key, value ?? '']]);
    }
  }

  /**
   * Loads one library and validates its manifest. `expectedPluginId` is
   * enforced for installed plugins (D6); a loose library is named by
   * `pluginIdForLibrary`.
   */
  async loadLibrary(path: string, options: { pluginId?: string; expectedPluginId?: string } = {}): Promise<LoadedPlugin> {
    const pluginId = options.pluginId ?? options.expectedPluginId ?? pluginIdForLibrary(path);
    // An in-process plugin's database calls are answered on the slot server's threads (P177); an isolated
    // plugin's reach this process's storage workers, which boot while the library loads, so its first db
    // call (often in init) does not wait for one.
    const isolated = this.isolates(pluginId);
    if (isolated) void this.storage.prestart();
    const plugin = await this.runtime.load(path, pluginId, isolated ? {} : { slotServer: this.inProcessSlotServer() });
    let entry: LoadedPlugin;
    try {
      const { manifest, notes } = loadManifest(plugin.manifestText, {
        expectedPluginId: options.expectedPluginId,
        hostVersion: this.readHostConfig().osaurusVersion,
        platform: process.platform,
      });
      entry = { plugin, manifest, notes };
    } catch (error) {
      await this.runtime.unload(pluginId);
      throw error;
    }
    this.loaded.set(pluginId, { id: pluginId, instance: plugin, manifest: entry.manifest, directory: dirname(plugin.path) });
    this.delivery.attach(pluginId);
    return entry;
  }

  /**
   * The load-time full config push (HOST_API.md §2): every registered agent
   * gets the plugin's declared fields. Resolves once the plugin handled them.
   */
  async pushConfig(pluginId: string): Promise<void> {
    const entry = this.loaded.get(pluginId);
    const fields = entry?.manifest.capabilities?.config?.sections.flatMap((section) =>
      section.fields.map((field): DeclaredConfigField => ({ key: field.key, type: field.type, default: field.default })),
    );
    if (!entry || !fields?.length) return;
    const config = await this.config();
    for (const agent of this.agents.list()) {
      if (agent.id === DEFAULT_AGENT_ID) continue;
      const changes = await composeFullPush(config, pluginId, agent.id, fields);
      if (changes.length > 0) await this.delivery.notifyAndWait(pluginId, agent.id, changes);
    }
  }

  /**
   * Starts now what a host that keeps running would otherwise start with a later plugin: every database
   * thread of in-process plugins, and the storage workers when a plugin runs isolated, so a plugin loaded
   * later waits for no boot (P186). `serve` and `mcp` call it once their plugins are loaded; one-shot
   * commands do not, and boot only what their plugins use.
   */
  async prestart(): Promise<void> {
    const isolatedLoaded = [...this.loaded.keys()].some((pluginId) => this.isolates(pluginId));
    await Promise.all([this.slotServer?.prestart(), isolatedLoaded ? this.storage.prestart() : undefined]);
  }

  /**
   * Loads every plugin under `<home>/Tools` (LIFECYCLE.md §2): scan, verify (unless dev),
   * load inside the crash-loop guard, then the ABI probe for each new plugin (D5).
   * One bad plugin never stops the others.
   */
  async loadInstalled(onProgress?: (line: string) => void): Promise<{ loaded: LoadedPlugin[]; failures: LoadFailure[] }> {
    const scan = scanPlugins(this.home, { hostBuild: HOST_BUILD, trustedKeys: readTrustedKeys(this.home), dev: this.dev });
    if (scan.promoted) onProgress?.(`${scan.promoted} crashed while loading last time and is now quarantined`);
    for (const row of scan.released) onProgress?.(`${row.id} is released from quarantine for one attempt (new version or host build)`);
    const failures: LoadFailure[] = scan.failures.map(({ pluginId, library, message }) => ({ pluginId, library, message }));
    const loaded: LoadedPlugin[] = [];
    const guard = new CrashGuard(toolsRoot(this.home), HOST_BUILD);
    for (const { pluginId, version, library } of scan.plugins) {
      onProgress?.(`loading ${pluginId} ${version} (${library})`);
      try {
        loaded.push(await guard.whileLoading(pluginId, () => this.loadLibrary(library, { expectedPluginId: pluginId })));
      } catch (error) {
        failures.push({ pluginId, library, message: describeLoadError(error) });
      }
    }
    const probeAgent = this.agents.list().find((agent) => agent.id !== DEFAULT_AGENT_ID)?.id ?? DEFAULT_AGENT_ID;
    for (const { plugin } of loaded) {
      if (plugin.abi < 2) continue;
      await guard.whileLoading(plugin.id, () => plugin.configChanged(ABI_PROBE_KEY, randomUUID().toUpperCase(), { agentId: probeAgent }));
    }
    for (const { plugin } of loaded) {
      await this.pushConfig(plugin.id).catch((error: unknown) => onProgress?.(`config push to ${plugin.id} failed: ${describeLoadError(error)}`));
    }
    return { loaded, failures };
  }

  /**
   * Hot reload: every loaded plugin is drained and destroyed once, then the installed
   * plugins load again. Keychain and SQLite state survive; background tasks keep running.
   */
  async reload(onProgress?: (line: string) => void): Promise<{ loaded: LoadedPlugin[]; failures: LoadFailure[] }> {
    for (const pluginId of [...this.loaded.keys()]) {
      onProgress?.(`unloading ${pluginId}`);
      await this.taskManager?.drainPluginEvents(pluginId);
      await this.delivery.detach(pluginId);
      this.loaded.delete(pluginId);
      await this.runtime.unload(pluginId);
    }
    return this.loadInstalled(onProgress);
  }

  async close(): Promise<void> {
    for (const pluginId of this.loaded.keys()) {
      await this.taskManager?.drainPluginEvents(pluginId);
      await this.delivery.detach(pluginId);
    }
    await this.taskManager?.close();
    this.loaded.clear();
    await this.runtime.shutdown();
    await this.storage.closeAll();
    await this.slotServer?.close();
    this.activity?.close();
    await this.otlp?.shutdown();
    this.hostDatabase?.$client.close();
  }

  /**
   * The threads that run in-process plugins' database calls and file reads, started with the first such
   * plugin; they boot while its library loads. If they cannot start, those calls go to the storage workers
   * and the event loop instead.
   */
  private inProcessSlotServer(): SlotServer {
    if (!this.slotServer) {
      this.slotServer = SlotServer.start({
        handlers: [
          { module: esmEntry('@osr-host/storage', './slot-handler'), exportName: 'createDatabaseSlotHandler', handlerOptions: { home: this.home }, slots: ['db_exec', 'db_query'] },
          { module: esmEntry('@osr-host/net', './slot-handler'), exportName: 'createFileReadSlotHandler', handlerOptions: { home: this.home }, slots: ['file_read'] },
        ],
        threads: Math.min(2, availableParallelism()),
        events: this.runtime.events,
      });
      this.slotServer.ready.catch((error: Error) =>
        this.logger.warn({ err: error }, `${error.message}; plugins' database calls go to the storage workers, and their file reads to the event loop, instead.`),
      );
    }
    return this.slotServer;
  }

  private readHostConfig(): HostConfigFile {
    return readHostConfig(this.home);
  }

  private writeHostConfig(config: HostConfigFile): void {
    mkdirSync(join(this.home, 'config'), { recursive: true });
    writeFileDurably(hostConfigPath(this.home), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Providers from `<home>/config/inference.json` (optional); the environment adds `OSR_HOST_OPENAI_*`. */
  private readInferenceConfig(): unknown {
    return readConfigFile(join(this.home, 'config', 'inference.json'));
  }
}


/** An insights row for something that happened to a plugin process rather than a host call. */
function processRow(pluginId: string, message: string, status: number): NewActivityRow {
  return {
    ts: Date.now(),
    pluginId,
    agentId: null,
    frame: null,
    slot: 'process',
    kind: 'log',
    method: 'LOG',
    path: `[ERROR] ${message}`,
    status,
    durationMs: 0,
    level: 'ERROR',
    requestBody: message,
    requestBytes: Buffer.byteLength(message),
    responseBytes: 0,
  };
}

/** The loader's message for any load failure, for lists and stderr. */
export function describeLoadError(error: unknown): string {
  if (error instanceof AbiError || error instanceof RuntimeError || error instanceof ManifestError || error instanceof LifecycleError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** An ESM entry of an installed package as a file URL, for a worker thread, which resolves as plain Node does. */
function esmEntry(packageName: string, subpath: string): string {
  const manifestPath = createRequire(import.meta.url).resolve(`${packageName}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = manifest.exports[subpath];
  if (!entry) throw new Error(`${packageName} has no export ${subpath}; reinstall it.`);
  return pathToFileURL(join(dirname(manifestPath), entry.import.default)).href;
}
