import { createHash } from 'node:crypto';
import type { PluginEntry } from '@osr-host/abi';
import type { Manifest, ManifestTool } from '@osr-host/manifest';

/** What the MCP server needs of a loaded plugin; `NativePlugin` from `@osr-host/runtime` satisfies it. */
export interface ToolTarget {
  /**
   * Runs one tool and resolves with its tool-result envelope (HOST_API.md §12),
   * never rejecting for plugin failures. `signal` fires when the MCP client
   * cancels; a target that cannot stop native work may ignore it.
   */
  invokeTool(toolId: string, payloadJson: string, options: { agentId: string | null; signal?: AbortSignal }): Promise<string>;
}

/** A loaded plugin as the MCP server sees it: an entry of the host's plugin directory (`@osr-host/abi`). */
export type ServedPlugin = PluginEntry<ToolTarget, Pick<Manifest, 'capabilities'> & Partial<Pick<Manifest, 'name'>>>;

/** One manifest tool under its MCP name. */
export interface CatalogEntry {
  name: string;
  pluginId: string;
  /** The plugin's display name from its manifest, when it has one. */
  pluginName: string | undefined;
  tool: ManifestTool;
  plugin: ToolTarget;
}

/** MCP tool names: 1–128 characters of A–Z, a–z, 0–9, `_`, `-`, `.`. */
export const MCP_TOOL_NAME_MAX = 128;
/** Joins plugin id and tool id in every MCP tool name. */
export const PLUGIN_PREFIX_SEPARATOR = '__';
const NAME_HASH_LENGTH = 8;

/** Replaces every character MCP does not allow in tool names with `_`, and keeps at most 128. */
export function sanitizeToolName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MCP_TOOL_NAME_MAX);
  return cleaned === '' ? '_' : cleaned;
}

/**
 * The MCP name of one tool: `<plugin_id>__<tool_id>`, a function of those two
 * ids alone, so installing or removing another plugin never renames a tool.
 * When that text is not already a valid, unambiguous name (a character MCP
 * does not allow, over 128 characters, or a plugin id containing `__`), it is
 * sanitised, shortened, and ends in `_` plus 8 hex digits of a hash of both
 * ids, which keeps distinct tools apart.
 */
export function mcpToolName(pluginId: string, toolId: string): string {
  const plain = `${pluginId}${PLUGIN_PREFIX_SEPARATOR}${toolId}`;
  if (!pluginId.includes(PLUGIN_PREFIX_SEPARATOR) && toolId !== '' && sanitizeToolName(plain) === plain) return plain;
  const hash = createHash('sha256').update(`${pluginId}\0${toolId}`).digest('hex').slice(0, NAME_HASH_LENGTH);
  return `${sanitizeToolName(plain).slice(0, MCP_TOOL_NAME_MAX - NAME_HASH_LENGTH - 1)}_${hash}`;
}

/** Every tool of every plugin under its MCP name (see `mcpToolName`), in plugin-id then manifest order. */
export function buildCatalog(plugins: Iterable<ServedPlugin>): CatalogEntry[] {
  return [...plugins]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .flatMap(({ id, instance, manifest }) =>
      (manifest.capabilities?.tools ?? []).map((tool) => ({
        name: mcpToolName(id, tool.id),
        pluginId: id,
        pluginName: manifest.name,
        tool,
        plugin: instance,
      })),
    );
}
