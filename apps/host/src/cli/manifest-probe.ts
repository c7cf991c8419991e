import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLines } from '../log.js';
import { installedPluginId, pluginIdForLibrary } from '../paths.js';

/**
 * The manifest of a library, read by a child `osr-host inspect` so that a bad library cannot hurt
 * this process. The child gets a scratch home and a fixed id: whatever the plugin's init does lands
 * there, and the child needs no probe of its own.
 */
export function manifestOfLibrary(library: string): Promise<string> {
  const scratchHome = mkdtempSync(join(tmpdir(), 'osr-host-probe-'));
  // This module is bundled into the CLI's entry, so import.meta.url is the CLI itself.
  const args = [fileURLToPath(import.meta.url), 'inspect', library, '--home', scratchHome, '--plugin-id', pluginIdForLibrary(library), '--log-format', 'json'];
  return new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      rmSync(scratchHome, { recursive: true, force: true });
      if (!error) resolve(JSON.stringify((JSON.parse(stdout) as { manifest: unknown }).manifest));
      else if (error.signal) reject(new Error(`Loading the plugin to read its manifest crashed (${error.signal}); it cannot be installed. Fix the plugin's entry and init.`));
      else reject(new Error(parseLogLines(stderr).findLast((record) => record.level === 'error')?.msg ?? (stderr.trim() || error.message)));
    });
  });
}

/**
 * The id a library runs under: `--plugin-id`, else its install directory, else its manifest's
 * `plugin_id` (read by a child `inspect`, so the probe's own init touches nothing of this home).
 */
export async function libraryPluginId(library: string, chosen: string | undefined): Promise<string> {
  const known = chosen ?? installedPluginId(library);
  if (known !== undefined) return known;
  return ((JSON.parse(await manifestOfLibrary(library)) as { plugin_id?: unknown }).plugin_id as string | undefined) ?? pluginIdForLibrary(library);
}
