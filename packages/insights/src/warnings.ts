import { hostApiWarningLine } from './console.js';
import type { ActivityStore, WarningEntry } from './store.js';

/** A warning to log once: its key is `<plugin>|<op>|<reason>` (more `|` parts allowed). */
export interface WarningSpec {
  key: string;
  message: string;
}

export interface WarningLogOptions {
  /** Keeps each first-time warning for the Diagnostics views and `osr-host insights warnings`. */
  store?: ActivityStore;
  /** Receives the `[PluginHostAPI] …` console line, and the warning it shows. Default: console.warn. */
  print?: (line: string, entry: WarningEntry) => void;
  /** Entries kept in memory, oldest dropped first (default 256, as upstream). */
  maxEntries?: number;
  /** Keys remembered by the once-filter, oldest forgotten first (default 4,096): keys embed plugin-chosen names. */
  maxKeys?: number;
  now?: () => number;
}

/** `pluginId` of a warning key: the text before the first `|`, or `<unknown>`. */
export function warningPluginId(key: string): string {
  const bar = key.indexOf('|');
  return bar <= 0 ? '<unknown>' : key.slice(0, bar);
}

/**
 * The once-filter (upstream `PluginOnceLogger`): the first warning for a key
 * in this process is printed and kept; later ones with the same key are
 * ignored. Use one instance per host process.
 */
export class WarningLog {
  private readonly seen = new Set<string>();
  private readonly kept: WarningEntry[] = [];
  private store: ActivityStore | undefined;
  private readonly print: (line: string, entry: WarningEntry) => void;
  private readonly maxEntries: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: WarningLogOptions = {}) {
    this.store = options.store;
    this.print = options.print ?? ((line) => console.warn(line));
    this.maxEntries = options.maxEntries ?? 256;
    this.maxKeys = options.maxKeys ?? 4096;
    this.now = options.now ?? Date.now;
  }

  /** Logs the warning if its key is new in this process. Returns whether it was logged. */
  warnOnce(spec: WarningSpec): boolean {
    if (this.seen.has(spec.key)) return false;
    this.seen.add(spec.key);
    if (this.seen.size > this.maxKeys) this.seen.delete(this.seen.values().next().value as string);
    const entry: WarningEntry = { key: spec.key, pluginId: warningPluginId(spec.key), message: spec.message, ts: this.now() };
    this.kept.push(entry);
    if (this.kept.length > this.maxEntries) this.kept.shift();
    this.print(hostApiWarningLine(spec.message), entry);
    this.store?.addWarning(entry);
    return true;
  }

  /** Starts keeping warnings in `store`, including those logged before it was opened. */
  attachStore(store: ActivityStore): void {
    this.store = store;
    for (const entry of this.kept) store.addWarning(entry);
  }

  /** `warnOnce` as a `(key, message)` function, the shape other host packages take (e.g. config-keychain's `warn` option). */
  readonly warn = (key: string, message: string): void => {
    this.warnOnce({ key, message });
  };

  /** This process's warnings, oldest first. */
  entries(): readonly WarningEntry[] {
    return this.kept;
  }
}

const ONCE_PER_OP = 'This warning is logged once per plugin per op per process.';

export type TaskOp = 'dispatch_cancel' | 'send_draft' | 'dispatch_interrupt';
export type AgentOp = 'dispatch' | 'complete' | 'complete_stream' | 'embed';

/** The host-API warnings of INSIGHTS.md §3, with upstream's keys and wording. New ones can use `WarningLog.warnOnce` directly. */
export const hostApiWarnings = {
  nullOnChunk: (pluginId: string): WarningSpec => ({
    key: `${pluginId}|complete_stream|null_chunk`,
    message: `Plugin '${pluginId}' invoked complete_stream with a NULL on_chunk callback. Streamed deltas will be discarded; the aggregated return value still flows. ${ONCE_PER_OP}`,
  }),
  invalidTaskId: (pluginId: string, op: TaskOp, taskId: string): WarningSpec => ({
    key: `${pluginId}|${op}|invalid`,
    message: `Plugin '${pluginId}' called ${op} with an invalid UUID '${taskId}'. The call was a no-op. ${ONCE_PER_OP}`,
  }),
  unownedTaskId: (pluginId: string, op: TaskOp, taskId: string): WarningSpec => ({
    key: `${pluginId}|${op}|unowned`,
    message: `Plugin '${pluginId}' called ${op} for task '${taskId}' that does not belong to this plugin or is no longer active. The call was a no-op. ${ONCE_PER_OP}`,
  }),
  agentOverride: (pluginId: string, op: AgentOp, value: string): WarningSpec => ({
    key: `${pluginId}|${op}|agent_override`,
    message: `Plugin '${pluginId}' supplied an explicit agent identifier '${value}' to ${op}. The host ignores it and uses the agent of the calling context. ${ONCE_PER_OP}`,
  }),
  noAgentContext: (pluginId: string, op: AgentOp | 'config_get' | 'config_set' | 'config_delete'): WarningSpec => ({
    key: `${pluginId}|${op}|no_agent_context`,
    message: `Plugin '${pluginId}' called ${op} from a thread with no resolvable agent context, so the call had no agent. Make host calls from the thread running invoke, handle_route, on_config_changed or on_task_event. ${ONCE_PER_OP}`,
  }),
  configTooLarge: (pluginId: string, key: string, bytes: number): WarningSpec => ({
    key: `${pluginId}|config_set|too_large|${key}`,
    message: `Plugin '${pluginId}' called config_set('${key}', ...) with a ${bytes}-byte value, exceeding the 1 MiB config-value cap. The write was dropped. Store large data with db_exec instead. This warning is logged once per plugin per key per process.`,
  }),
  dispatchToolScope: (pluginId: string, toolName: string): WarningSpec => ({
    key: `${pluginId}|dispatch|tool_scope|${toolName}`,
    message: `Plugin '${pluginId}' requested tool '${toolName}' on dispatch but it is not in the allowed set for this plugin; the tool was left out. This warning is logged once per plugin per tool name per process.`,
  }),
};
