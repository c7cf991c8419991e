import { AbiError, DEFAULT_HOST_ABI_LEVEL, type HostAbiLevel } from '@osr-host/abi-struct';
import { type Manifest, ManifestError, loadManifest } from '@osr-host/manifest';
import { type NativePlugin, PluginRuntime, type PluginTimeouts, RuntimeError } from '@osr-host/runtime';
import {
  type AgentRegistry,
  agentRegistry,
  createPluginStorage,
  type HostDatabase,
  hostDatabasePath,
  openHostDatabase,
  type PluginStorage,
} from '@osr-host/storage';
import { buildHostApi } from './host-api.js';
import { pluginIdForLibrary, scanInstalledPlugins } from './paths.js';

/** The version this host reports to `min_osaurus` checks. */
export const HOST_VERSION = '0.1.0';

export interface HostOptions {
  home: string;
  level?: HostAbiLevel;
  timeouts?: Partial<PluginTimeouts>;
  writeConsole?: (line: string) => void;
}

export interface LoadedPlugin {
  plugin: NativePlugin;
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
 * packages, plus the host's own database (agents) under `home`.
 */
export class OsrHost {
  readonly home: string;
  readonly level: HostAbiLevel;
  readonly runtime: PluginRuntime;
  readonly storage: PluginStorage;
  private hostDatabase: HostDatabase | undefined;
  private agentList: AgentRegistry | undefined;

  constructor(options: HostOptions) {
    this.home = options.home;
    this.level = options.level ?? DEFAULT_HOST_ABI_LEVEL;
    this.storage = createPluginStorage({ home: this.home });
    const writeConsole = options.writeConsole ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.runtime = new PluginRuntime({
      level: this.level,
      timeouts: options.timeouts,
      hostApi: buildHostApi({ storage: this.storage, writeConsole }),
    });
  }

  /** The agent registry, opened on first use so commands that need no agent write nothing under `home`. */
  get agents(): AgentRegistry {
    if (!this.agentList) {
      this.hostDatabase = openHostDatabase(hostDatabasePath(this.home));
      this.agentList = agentRegistry(this.hostDatabase);
    }
    return this.agentList;
  }

  /** The agent CLI and MCP calls run under unless told otherwise (D8): the first ordinary agent. */
  defaultAgentId(): string {
    return this.agents.ensureFirstOrdinaryAgent().id;
  }

  /**
   * Loads one library and validates its manifest. `expectedPluginId` is
   * enforced for installed plugins (D6); a loose library is named by
   * `pluginIdForLibrary`.
   */
  async loadLibrary(path: string, options: { pluginId?: string; expectedPluginId?: string } = {}): Promise<LoadedPlugin> {
    const pluginId = options.pluginId ?? options.expectedPluginId ?? pluginIdForLibrary(path);
    const plugin = await this.runtime.load(path, pluginId);
    try {
      const { manifest, notes } = loadManifest(plugin.manifestText, {
        expectedPluginId: options.expectedPluginId,
        hostVersion: HOST_VERSION,
        platform: process.platform,
      });
      return { plugin, manifest, notes };
    } catch (error) {
      await this.runtime.unload(pluginId);
      throw error;
    }
  }

  /** Loads every plugin under `<home>/Tools`; one bad plugin never stops the others. */
  async loadInstalled(onProgress?: (line: string) => void): Promise<{ loaded: LoadedPlugin[]; failures: LoadFailure[] }> {
    const loaded: LoadedPlugin[] = [];
    const failures: LoadFailure[] = [];
    for (const installed of scanInstalledPlugins(this.home)) {
      if (installed.libraries.length === 0) {
        failures.push({ pluginId: installed.pluginId, library: null, message: `No ${installed.directory}/*.so library to load` });
        continue;
      }
      for (const library of installed.libraries) {
        onProgress?.(`loading ${installed.pluginId} ${installed.version} (${library})`);
        try {
          loaded.push(await this.loadLibrary(library, { expectedPluginId: installed.pluginId }));
        } catch (error) {
          failures.push({ pluginId: installed.pluginId, library, message: describeLoadError(error) });
        }
      }
    }
    return { loaded, failures };
  }

  async close(): Promise<void> {
    await this.runtime.shutdown();
    await this.storage.closeAll();
    this.hostDatabase?.$client.close();
  }
}

/** The loader's message for any load failure, for lists and stderr. */
export function describeLoadError(error: unknown): string {
  if (error instanceof AbiError || error instanceof RuntimeError || error instanceof ManifestError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
