import { RuntimeEvents } from './events.js';
import { type LoadPluginOptions, NativePlugin } from './plugin.js';

export type RuntimeOptions = Omit<LoadPluginOptions, 'pluginId' | 'events'>;

/**
 * Loads native plugins with shared options and one event stream, and keeps
 * them by id. A later load with the same id replaces (and shuts down) the
 * earlier plugin only once the new one loaded.
 */
export class PluginRuntime {
  readonly events = new RuntimeEvents();
  private readonly loaded = new Map<string, NativePlugin>();

  constructor(private readonly options: RuntimeOptions = {}) {}

  async load(path: string, pluginId: string, overrides: Partial<RuntimeOptions> = {}): Promise<NativePlugin> {
    const plugin = await NativePlugin.load(path, { ...this.options, ...overrides, pluginId, events: this.events });
    const previous = this.loaded.get(pluginId);
    this.loaded.set(pluginId, plugin);
    if (previous) await previous.shutdown();
    return plugin;
  }

  get(pluginId: string): NativePlugin | undefined {
    return this.loaded.get(pluginId);
  }

  plugins(): NativePlugin[] {
    return [...this.loaded.values()];
  }

  async unload(pluginId: string): Promise<void> {
    const plugin = this.loaded.get(pluginId);
    this.loaded.delete(pluginId);
    await plugin?.shutdown();
  }

  async shutdown(): Promise<void> {
    const plugins = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(plugins.map((plugin) => plugin.shutdown()));
  }
}
