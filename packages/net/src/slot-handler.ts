import { errorJson } from './envelope.js';
import { fileReadSync } from './file-read.js';

export interface FileReadSlotHandlerOptions {
  /** The host home; `file_read` serves only `<home>/artifacts/`. */
  readonly home: string;
}

/** The file_read answers for one thread: what a runtime slot server runs (structurally its `SlotHandler`). */
export interface FileReadSlotHandler {
  serve(pluginId: string, slot: string, args: readonly [string | null, string | null, string | null]): string | null;
}

/**
 * `file_read` answered synchronously on the calling plugin's slot-server thread, with the same rules and
 * answers as `fileRead` on the event loop: give it to `@osr-host/runtime`'s `SlotServer` as a handler
 * (`exportName: 'createFileReadSlotHandler'`, `slots: ['file_read']`).
 */
export function createFileReadSlotHandler(options: FileReadSlotHandlerOptions): FileReadSlotHandler {
  return {
    serve(_pluginId, slot, [requestJson]) {
      if (slot === 'file_read') return fileReadSync(options.home, requestJson);
      return errorJson('not_supported', `${slot} is not served here; only file_read is.`);
    },
  };
}
