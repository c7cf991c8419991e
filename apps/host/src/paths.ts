import { homedir } from 'node:os';
import { basename, extname, join, resolve, sep } from 'node:path';

/** `--home`, else `$OSR_HOST_HOME`, else `~/.osaurus` (D7). */
export function resolveHome(flag?: string): string {
  return resolve(flag ?? process.env.OSR_HOST_HOME ?? join(homedir(), '.osaurus'));
}

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

/** Where a running `serve` says how to reach its admin endpoint: `{ origin }`, next to a token file. */
export function serveStateFiles(home: string): { state: string; token: string } {
  return { state: join(home, 'run', 'serve.json'), token: join(home, 'run', 'admin-token') };
}
