import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@osr-host/manifest';
import { NativePlugin } from '@osr-host/runtime';
import { compilePlugin, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import type { ServedPlugin } from '../catalog.js';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const toolsPluginSource = join(packageRoot, 'fixtures', 'tools_plugin.c');

/** Builds fixtures/tools_plugin.c; `pluginId` gives a second identity, `withExtraTool` the upgraded manifest. */
export function buildToolsPlugin(options: { pluginId?: string; withExtraTool?: boolean } = {}): string {
  return compilePlugin(toolsPluginSource, {
    defines: { ...(options.pluginId ? { PLUGIN_ID: JSON.stringify(options.pluginId) } : {}), WITH_EXTRA_TOOL: options.withExtraTool === true },
  });
}

/**
 * Loads a fixture library as the reference host does: a NativePlugin whose
 * `get_active_agent_id` answers the frame's agent, plus its validated
 * manifest. Each load gets its own copy of the library, so two loads never
 * share the plugin's globals.
 */
export async function loadServedPlugin(library: string, pluginId: string, scratch: string): Promise<ServedPlugin & { plugin: NativePlugin }> {
  const plugin = await NativePlugin.load(uniqueLibraryCopy(library, scratch), {
    pluginId,
    hostApi: { get_active_agent_id: (ctx) => ctx.agentId },
  });
  return { id: pluginId, plugin, instance: plugin, manifest: loadManifest(plugin.manifestText, { expectedPluginId: pluginId }).manifest, directory: dirname(plugin.path) };
}
