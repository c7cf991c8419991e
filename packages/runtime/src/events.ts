import { EventEmitter } from 'eventemitter3';
import type { FrameKind, HostCallRecord } from './host-api.js';

/** Everything the runtime reports; the single instrumentation point for host calls is `hostCall`. */
export interface RuntimeEventMap {
  /** One record per served host call (after the plugin got its answer). */
  hostCall: [record: HostCallRecord];
  /** A plugin call hit its timeout; its thread is still inside the plugin. */
  callAbandoned: [info: { pluginId: string; frame: FrameKind; timeoutMs: number }];
  /** A call that had timed out finally returned; its result was discarded. */
  abandonedCallReturned: [info: { pluginId: string; frame: FrameKind }];
  /** A host implementation threw, or destroy failed. */
  pluginError: [info: { pluginId: string; error: unknown }];
  /** An isolated plugin's process crashed or was terminated for not answering. */
  pluginCrashed: [info: { pluginId: string; signal: string | null; code: number | null; message: string }];
  /** An isolated plugin's process held calls past their timeout and was replaced (not a crash). */
  pluginRecycled: [info: { pluginId: string; message: string }];
  /** An isolated plugin crashed too often and refuses calls until reloaded. */
  pluginQuarantined: [info: { pluginId: string; message: string }];
}

export class RuntimeEvents extends EventEmitter<RuntimeEventMap> {}
