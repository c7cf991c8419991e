import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join, resolve, sep } from 'node:path';
import { compareSemanticVersions, parseSemanticVersion } from '@osr-host/manifest';

/** `--home`, else `$OSR_HOST_HOME`, else `~/.osaurus` (D7). */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.OSR_HOST_HOME ?? join(homedir(), '.osaurus'));
}

export const libraryExtension = process.platform === 'darwin' ? '.dylib' : '.so';

/**
 * The plugin id of a library path: the install directory for
 * `…/Tools/<id>/<version>/<file>` (ABI.md §4), otherwise the file name
 * without `lib` and extension (`build/libhello.so` → `hello`).
 */
export function pluginIdForLibrary(path: string): string {
  const absolute = resolve(path);
  const parts = absolute.split(sep);
  const toolsIndex = parts.lastIndexOf('Tools');
  if (toolsIndex >= 0 && parts.length - toolsIndex === 4) return parts[toolsIndex + 1]!;
  return basename(absolute, extname(absolute)).replace(/^lib/, '');
}

export interface InstalledPlugin {
  pluginId: string;
  version: string;
  directory: string;
  libraries: string[];
}

/** The version directory to load: the `current` symlink's target, else the highest semver directory. */
function chooseVersion(pluginDirectory: string): string | null {
  const current = join(pluginDirectory, 'current');
  if (existsSync(current)) return basename(readlinkSync(current));
  const versions = readdirSync(pluginDirectory).filter(
    (entry) => parseSemanticVersion(entry) !== undefined && statSync(join(pluginDirectory, entry)).isDirectory(),
  );
  versions.sort((a, b) => compareSemanticVersions(parseSemanticVersion(a)!, parseSemanticVersion(b)!));
  return versions.at(-1) ?? null;
}

/** Every plugin under `<home>/Tools/<plugin_id>/<version>/` with the libraries in its chosen version. */
export function scanInstalledPlugins(home: string): InstalledPlugin[] {
  const tools = join(home, 'Tools');
  if (!existsSync(tools)) return [];
  const found: InstalledPlugin[] = [];
  for (const pluginId of readdirSync(tools).sort()) {
    const pluginDirectory = join(tools, pluginId);
    if (pluginId.startsWith('.') || !statSync(pluginDirectory).isDirectory()) continue;
    const version = chooseVersion(pluginDirectory);
    if (version === null) continue;
    const directory = join(pluginDirectory, version);
    const libraries = existsSync(directory)
      ? readdirSync(directory)
          .filter((file) => extname(file) === libraryExtension)
          .sort()
          .map((file) => join(directory, file))
      : [];
    found.push({ pluginId, version, directory, libraries });
  }
  return found;
}
