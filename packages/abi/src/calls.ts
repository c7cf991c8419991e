import type { ServedSlotName } from './slots.js';

/** How one plugin call (invoke, handle_route, …) ended. */
export type CallOutcome =
  | { kind: 'returned'; text: string }
  | { kind: 'null' }
  | { kind: 'too_large'; bytes: number }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'shut_down' }
  | { kind: 'invalid_argument'; message: string }
  /** The plugin's process crashed, was stopped for not answering, or is quarantined (isolated mode). */
  | { kind: 'unavailable'; message: string };

/** What the plugin was running on the thread that made a host call. */
export type FrameKind = 'entry' | 'init' | 'manifest' | 'invoke' | 'route' | 'config' | 'task_event' | 'destroy';

/** One host call, as the instrumentation point reports it. Secrets are already redacted. */
export interface HostCallRecord {
  pluginId: string;
  agentId: string | null;
  frame: FrameKind | null;
  slot: ServedSlotName;
  /** INSIGHTS.md §1 status: mapped from an error envelope, else the slot's success status. */
  status: number;
  startedAt: Date;
  durationMs: number;
  /** The C string arguments (null for NULL); secret ones replaced by "[redacted]". */
  args: (string | null)[];
  /** `level` for log slots, else 0. */
  intArg: number;
  /** What the plugin got back (null for void slots and NULL answers); a secret answer is "[redacted]". */
  response: string | null;
  requestBytes: number;
  responseBytes: number;
}
