import { homedir } from 'node:os';
import { basename, extname, join, resolve, sep } from 'node:path';

/** `--home`, else `$OSR_HOST_HOME`, else `~/.osaurus` (D7). */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.OSR_HOST_HOME ?? join(homedir(), '.osaurus'));
}

/** The install directory's plugin id for `…/Tools/<id>/<version>/<file>` (ABI.md §4); undefined for a loose library. */
export function installedPluginId(path: string): string | undefined {
  const parts = resolve(path).split(sep);
  const toolsIndex = parts.lastIndexOf('Tools');
  return toolsIndex >= 0 && parts.length - toolsIndex === 4 ? parts[toolsIndex + 1] : undefined;
}

/**
 * The plugin id of a library path before its manifest is read: the install
 * directory for an installed library, otherwise the file name without `lib`
 * and extension (`build/libhello.so` → `hello`).
 */
export function pluginIdForLibrary(path: string): string {
  return installedPluginId(path) ?? basename(resolve(path), extname(path)).replace(/^lib/, '');
}

/**
 * The file every config write of a host on `home` rewrites (this process's or a CLI's), which the
 * plugins' config_get caches compare (P178).
 */
export function configChangeMarkerPath(home: string): string {
  return join(home, 'config', 'change-marker');
}
