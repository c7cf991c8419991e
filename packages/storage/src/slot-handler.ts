import { errorJson, PluginDatabaseEngine, storageErrorJson } from './engine.js';
import type { StorageError } from './errors.js';
import { assertValidPluginId } from './paths.js';
import { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_MAX_BYTES } from './plugin-storage.js';

export interface DatabaseSlotHandlerOptions {
  /** The host home; each plugin's database is `<home>/Tools/<pluginId>/data/data.db`. */
  readonly home: string;
  /** Size cap per plugin database in bytes; 0 means unlimited. Default 100 MiB. */
  readonly maxBytes?: number;
  /** Lock wait in ms before a statement fails with `database_busy`. Default 5000. */
  readonly busyTimeoutMs?: number;
}

/** The db_exec / db_query answers for one thread: what a runtime slot server runs (structurally its `SlotHandler`). */
export interface DatabaseSlotHandler {
  serve(pluginId: string, slot: string, args: readonly [string | null, string | null, string | null]): string | null;
  /** Closes the plugin's connection (an open transaction rolls back); a later call reopens it. */
  forget(pluginId: string): void;
  close(): void;
}

/**
 * The database slots answered synchronously on the calling thread, with the same engine (guard,
 * binding, reply JSON) as `PluginStorage`'s workers: give it to `@osr-host/runtime`'s `SlotServer`
 * (`exportName: 'createDatabaseSlotHandler'`), and that thread owns each of its plugins' one connection.
 */
export function createDatabaseSlotHandler(options: DatabaseSlotHandlerOptions): DatabaseSlotHandler {
  const engine = new PluginDatabaseEngine({
    home: options.home,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
  });
  // A fresh thread's first statement is slow (native binding set-up, cold code): paid here, not by a plugin.
  engine.warmUp();
  return {
    serve(pluginId, slot, [sql, paramsJson]) {
      try {
        assertValidPluginId(pluginId);
      } catch (error) {
        return storageErrorJson(error as StorageError);
      }
      if (slot === 'db_exec') return engine.exec(pluginId, sql, paramsJson);
      if (slot === 'db_query') return engine.query(pluginId, sql, paramsJson);
      return errorJson('not_supported', `${slot} is not a database slot; only db_exec and db_query are served here.`);
    },
    forget: (pluginId) => engine.close(pluginId),
    close: () => engine.closeAll(),
  };
}
