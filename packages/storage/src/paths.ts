import { join, resolve, sep } from 'node:path';
import { StorageError } from './errors.js';

const MAX_PLUGIN_ID_BYTES = 255;

/**
 * Refuses plugin ids that could escape `<home>/Tools/` or name a hidden
 * directory. Ids are refused rather than rewritten so that two different ids
 * can never share one database file.
 */
export function assertValidPluginId(pluginId: string): void {
  const problem =
    typeof pluginId !== 'string' || pluginId.length === 0
      ? 'it is empty'
      : Buffer.byteLength(pluginId) > MAX_PLUGIN_ID_BYTES
        ? `it is longer than ${MAX_PLUGIN_ID_BYTES} bytes`
        : pluginId.startsWith('.')
          ? 'it starts with "."'
          : /[/\\\u0000-\u001f\u007f]/.test(pluginId)
            ? 'it contains a path separator or a control character'
            : undefined;
  if (problem !== undefined) {
    throw new StorageError(
      'invalid_argument',
      `Invalid plugin id ${JSON.stringify(pluginId)}: ${problem}. Use the plugin's install-directory name.`,
    );
  }
}

/** `<home>/Tools/<pluginId>/data`, after checking the id cannot leave `<home>/Tools`. */
export function pluginDataDirectory(home: string, pluginId: string): string {
  assertValidPluginId(pluginId);
  const toolsDir = resolve(home, 'Tools');
  const directory = join(toolsDir, pluginId, 'data');
  if (!directory.startsWith(toolsDir + sep)) {
    throw new StorageError('invalid_argument', `Plugin id ${JSON.stringify(pluginId)} resolves outside ${toolsDir}.`);
  }
  return directory;
}

/** `<home>/Tools/<pluginId>/data/data.db`. */
export function pluginDatabasePath(home: string, pluginId: string): string {
  return join(pluginDataDirectory(home, pluginId), 'data.db');
}
