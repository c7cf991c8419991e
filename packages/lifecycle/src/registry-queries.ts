import { LifecycleError } from './errors.js';
import { activeVersion, compareVersions, installedPluginIds, isStrictSemver, pluginDirectory } from './layout.js';
import { type PluginSpec, readRegistry, type ResolveOptions, resolveArtifact } from './registry.js';

/** An installed plugin the registry has a newer installable version of. */
export interface OutdatedPlugin {
  pluginId: string;
  installed: string;
  available: string;
}

/**
 * `tools outdated`: each installed plugin whose registry spec has a version
 * above the active one that this host can install (same resolution as
 * `upgrade`, so what is listed is what `upgrade` would take).
 */
export function outdatedPlugins(home: string, registry: string, options: Omit<ResolveOptions, 'version'> = {}): OutdatedPlugin[] {
  const specs = new Map(readRegistry(registry).map((spec) => [spec.plugin_id, spec]));
  const outdated: OutdatedPlugin[] = [];
  for (const pluginId of installedPluginIds(home)) {
    const installed = activeVersion(pluginDirectory(home, pluginId));
    const spec = specs.get(pluginId);
    if (installed === null || spec === undefined) continue;
    let available: string;
    try {
      available = resolveArtifact(spec, options).version;
    } catch (error) {
      if (error instanceof LifecycleError && error.code === 'not_found') continue;
      throw error;
    }
    if (compareVersions(available, installed) > 0) outdated.push({ pluginId, installed, available });
  }
  return outdated;
}

/** One plugin of the registry that matches a search. */
export interface RegistryMatch {
  pluginId: string;
  name: string | null;
  description: string | null;
  /** The highest version the registry lists, or null when it lists none that parse. */
  latest: string | null;
}

/** `tools search [query]`: the registry's plugins whose id, name or description contain `query` (any case); all without one. */
export function searchRegistry(registry: string, query = ''): RegistryMatch[] {
  const needle = query.trim().toLowerCase();
  const matches = (spec: PluginSpec) => [spec.plugin_id, spec.name ?? '', spec.description ?? ''].some((text) => text.toLowerCase().includes(needle));
  return readRegistry(registry)
    .filter(matches)
    .sort((a, b) => a.plugin_id.localeCompare(b.plugin_id))
    .map((spec) => ({
      pluginId: spec.plugin_id,
      name: spec.name ?? null,
      description: spec.description ?? null,
      latest:
        spec.versions
          .map((entry) => entry.version)
          .filter(isStrictSemver)
          .sort(compareVersions)
          .at(-1) ?? null,
    }));
}
