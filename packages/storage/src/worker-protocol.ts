import type { EngineOptions } from './engine.js';

/** What the storage worker is started with. */
export type WorkerSettings = EngineOptions;

/** A request from the event loop to a storage worker; answered in order, by `id`. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly op: 'exec' | 'query';
      readonly pluginId: string;
      readonly sql: string;
      readonly paramsJson: string | null;
    }
  | { readonly id: number; readonly op: 'close'; readonly pluginId: string }
  | { readonly id: number; readonly op: 'closeAll' };

/** Posted once by a storage worker when it has loaded SQLite and takes requests. */
export const WORKER_READY = 'ready';

/** The worker's answer: the slot's return string (`null` only for the close operations). */
export interface WorkerResponse {
  readonly id: number;
  readonly result: string | null;
}
