import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A plugin package as `tools install` takes it: a directory `<plugin_id>-<version>` holding the library. */
export function packageDirectory(pluginId: string, version: string, library: string): string {
  const directory = join(mkdtempSync(join(tmpdir(), 'osr-package-')), `${pluginId}-${version}`);
  mkdirSync(directory);
  copyFileSync(library, join(directory, 'libplugin.so'));
  return directory;
}
