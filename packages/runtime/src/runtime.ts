import { RuntimeEvents } from './events.js';
import { IsolatedPlugin, type IsolationOptions } from './isolation/isolated-plugin.js';
import { type LoadPluginOptions, NativePlugin } from './plugin.js';
import type { PluginInstance } from './plugin-instance.js';

export type RuntimeOptions = Omit<LoadPluginOptions, 'pluginId' | 'events'> &
  IsolationOptions & {
    /** Run plugins in child processes of their own (D21): all of them, or those the function picks. */
    isolate?: boolean | ((pluginId: string) => boolean);
  };

/**
 * Loads native plugins with shared options and one event stream, and keeps
 * them by id. A later load with the same id replaces (and shuts down) the
 * earlier plugin only once the new one loaded.
 */
export class PluginRuntime {
  readonly events = new RuntimeEvents();
  private readonly loaded = new Map<string, PluginInstance>();

  constructor(private readonly options: RuntimeOptions = {}) {}

  async load(path: string, pluginId: string, overrides: Partial<RuntimeOptions> = {}): Promise<PluginInstance> {
    const { isolate, ...options } = { ...this.options, ...overrides };
    const isolated = typeof isolate === 'function' ? isolate(pluginId) : isolate === true;
    const loadOptions = { ...options, pluginId, events: this.events };
    const plugin = isolated ? await IsolatedPlugin.load(path, loadOptions) : await NativePlugin.load(path, loadOptions);
    const previous = this.loaded.get(pluginId);
    this.loaded.set(pluginId, plugin);
    if (previous) await previous.shutdown();
    return plugin;
  }

  get(pluginId: string): PluginInstance | undefined {
    return this.loaded.get(pluginId);
  }

  plugins(): PluginInstance[] {
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
