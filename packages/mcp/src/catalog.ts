import type { Manifest, ManifestTool } from '@osr-host/manifest';

/** What the MCP server needs of a loaded plugin; `NativePlugin` from `@osr-host/runtime` satisfies it. */
export interface ToolTarget {
  /** The plugin id the host loaded it under. */
  readonly id: string;
  /**
   * Runs one tool and resolves with its tool-result envelope (HOST_API.md §12),
   * never rejecting for plugin failures. `signal` fires when the MCP client
   * cancels; a target that cannot stop native work may ignore it.
   */
  invokeTool(toolId: string, payloadJson: string, options: { agentId: string | null; signal?: AbortSignal }): Promise<string>;
}

/** A loaded plugin as the MCP server sees it; the reference host's `LoadedPlugin` has this shape. */
export interface ServedPlugin {
  plugin: ToolTarget;
  manifest: Pick<Manifest, 'capabilities'>;
}

/** One manifest tool under its MCP name. */
export interface CatalogEntry {
  name: string;
  pluginId: string;
  tool: ManifestTool;
  plugin: ToolTarget;
}

/** MCP tool names: 1–128 characters of A–Z, a–z, 0–9, `_`, `-`, `.`. */
export const MCP_TOOL_NAME_MAX = 128;
/** Joins plugin id and tool id when a tool id is offered by several plugins. */
export const PLUGIN_PREFIX_SEPARATOR = '__';

/** Replaces every character MCP does not allow in tool names with `_`, and keeps at most 128. */
export function sanitizeToolName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MCP_TOOL_NAME_MAX);
  return cleaned === '' ? '_' : cleaned;
}

/**
 * Names every tool of every plugin for MCP. A tool keeps its id (sanitised)
 * when no other plugin offers the same name; when several do, each of them is
 * called `<plugin_id>__<tool_id>` (both sanitised), so the result does not
 * depend on load order. Names still equal after that (sanitising made two ids
 * alike, or truncation) get `_2`, `_3`, … in plugin-id then manifest order.
 */
export function buildCatalog(plugins: Iterable<ServedPlugin>): CatalogEntry[] {
  const entries = [...plugins]
    .sort((a, b) => (a.plugin.id < b.plugin.id ? -1 : a.plugin.id > b.plugin.id ? 1 : 0))
    .flatMap(({ plugin, manifest }) =>
      (manifest.capabilities?.tools ?? []).map((tool) => ({ name: sanitizeToolName(tool.id), pluginId: plugin.id, tool, plugin })),
    );
  const pluginsByName = new Map<string, Set<string>>();
  for (const entry of entries) {
    const owners = pluginsByName.get(entry.name) ?? new Set<string>();
    owners.add(entry.pluginId);
    pluginsByName.set(entry.name, owners);
  }
  for (const entry of entries) {
    if ((pluginsByName.get(entry.name)?.size ?? 0) > 1) {
      entry.name = sanitizeToolName(`${entry.pluginId}${PLUGIN_PREFIX_SEPARATOR}${entry.tool.id}`);
    }
  }
  const taken = new Set<string>();
  for (const entry of entries) {
    let name = entry.name;
    for (let suffix = 2; taken.has(name); suffix++) {
      const tail = `_${suffix}`;
      name = entry.name.slice(0, MCP_TOOL_NAME_MAX - tail.length) + tail;
    }
    entry.name = name;
    taken.add(name);
  }
  return entries;
}
