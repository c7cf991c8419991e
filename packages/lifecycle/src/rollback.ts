import { LifecycleError } from './errors.js';
import { pointCurrentAt } from './install.js';
import { activeVersion, compareVersions, installedVersions, pluginDirectory } from './layout.js';

/**
 * `tools rollback <id>`: points `current` at the highest installed version
 * below the active one. That version keeps its own receipt and consent, so
 * it loads exactly as it did before the upgrade.
 */
export function rollbackPlugin(home: string, pluginId: string): { from: string; to: string } {
  const dir = pluginDirectory(home, pluginId);
  const from = activeVersion(dir);
  if (from === null) throw new LifecycleError('not_found', `${pluginId} is not installed; run osr-host tools list to see installed ids.`);
  const to = installedVersions(dir)
    .filter((version) => compareVersions(version, from) < 0)
    .at(-1);
  if (to === undefined) {
    throw new LifecycleError('not_found', `${pluginId} has no installed version before ${from} to roll back to; install the version you want instead.`);
  }
  pointCurrentAt(dir, to);
  return { from, to };
}
