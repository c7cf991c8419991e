import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { compareSemanticVersions, parseSemanticVersion } from '@osr-host/manifest';

/** `.so` on Linux, `.dylib` on macOS (D7). */
export const libraryExtension = process.platform === 'darwin' ? '.dylib' : '.so';

/** The C header plugins are built against: abi-struct's `osaurus_plugin.h`. */
export function pluginHeaderPath(): string {
  return createRequire(import.meta.url).resolve('@osr-host/abi-struct/include/osaurus_plugin.h');
}

/** `<home>/Tools`: every installed plugin, the loading marker and the quarantine list (LIFECYCLE.md §1). */
export function toolsRoot(home: string): string {
  return join(home, 'Tools');
}

/** A plugin's directory: `<home>/Tools/<plugin_id>`. */
export function pluginDirectory(home: string, pluginId: string): string {
  return join(toolsRoot(home), pluginId);
}

/** The plugin directories under `<home>/Tools` (hidden entries are the host's own), sorted. */
export function installedPluginIds(home: string): string[] {
  const root = toolsRoot(home);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => !name.startsWith('.') && statSync(join(root, name)).isDirectory())
    .sort();
}

/** Only a `data` directory: the database of a library run from outside Tools/ (or of a removed plugin), not an install. */
export function holdsOnlyData(pluginDirectory: string): boolean {
  const entries = readdirSync(pluginDirectory).filter((name) => !name.startsWith('.'));
  return entries.length === 1 && entries[0] === 'data';
}

/** `<home>/config/trusted-keys`: one minisign `.pub` file per trusted publisher. */
export function trustedKeysDirectory(home: string): string {
  return join(home, 'config', 'trusted-keys');
}

export function isStrictSemver(text: string): boolean {
  return parseSemanticVersion(text) !== undefined;
}

export function compareVersions(a: string, b: string): number {
  return compareSemanticVersions(parseSemanticVersion(a)!, parseSemanticVersion(b)!);
}

/** Every version directory of a plugin (names that parse as strict semver), lowest first. */
export function installedVersions(pluginDir: string): string[] {
  if (!existsSync(pluginDir)) return [];
  return readdirSync(pluginDir)
    .filter((entry) => isStrictSemver(entry) && statSync(join(pluginDir, entry)).isDirectory())
    .sort(compareVersions);
}

/**
 * The version to load: the `current` symlink's target when it points at an
 * existing directory, else the highest semver directory, else null.
 */
export function activeVersion(pluginDir: string): string | null {
  const current = join(pluginDir, 'current');
  if (lstatSafe(current)?.isSymbolicLink()) {
    const target = basename(readlinkSync(current));
    if (existsSync(join(pluginDir, target))) return target;
  }
  return installedVersions(pluginDir).at(-1) ?? null;
}

/** Every plugin library in a version directory, recursively, skipping hidden entries (LIFECYCLE.md §2). */
export function findLibraries(directory: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && entry.name.endsWith(libraryExtension)) found.push(path);
    }
  };
  visit(directory);
  return found;
}

export function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
