import type { HostSlotName } from '@osr-host/abi-struct';

/** How the runtime treats one host slot before any implementation sees the call. */
export interface SlotRules {
  /** The slot returns a string to the plugin (otherwise it is void). */
  returnsString: boolean;
  /** How many leading C-string arguments must be non-NULL (HOST_API.md §0). */
  requiredArgs: number;
  /** The value at those positions is a secret: it never reaches an event or a log (D14). */
  secretArgs?: number[];
  /** The answer is a secret (config_get). */
  secretResponse?: boolean;
  /** The answer is a bare string, not JSON, so an error envelope would be read as a value. */
  answersPlainString?: boolean;
  /** While the plugin is being torn down the slot answers `PLUGIN_SHUTTING_DOWN_REPLY` and does not run. */
  refusedInTeardown?: boolean;
  /** Positions of arguments that are JSON text, which the host parses: their nesting depth is bounded. */
  jsonArgs?: number[];
}

/** Upstream's exact answer to a database call made while its plugin is being torn down. */
export const PLUGIN_SHUTTING_DOWN_REPLY = '{"error":"Plugin is shutting down"}';

export const SLOT_RULES: Record<Exclude<HostSlotName, 'free_string'>, SlotRules> = {
  config_get: { returnsString: true, requiredArgs: 1, secretResponse: true, answersPlainString: true },
  config_set: { returnsString: false, requiredArgs: 2, secretArgs: [1] },
  config_delete: { returnsString: false, requiredArgs: 1 },
  db_exec: { returnsString: true, requiredArgs: 1, refusedInTeardown: true, jsonArgs: [1] },
  db_query: { returnsString: true, requiredArgs: 1, refusedInTeardown: true, jsonArgs: [1] },
  log: { returnsString: false, requiredArgs: 1 },
  dispatch: { returnsString: true, requiredArgs: 1, jsonArgs: [0] },
  task_status: { returnsString: true, requiredArgs: 1 },
  dispatch_cancel: { returnsString: false, requiredArgs: 1 },
  dispatch_clarify: { returnsString: false, requiredArgs: 2 },
  complete: { returnsString: true, requiredArgs: 1, jsonArgs: [0] },
  complete_stream: { returnsString: true, requiredArgs: 1, jsonArgs: [0] },
  embed: { returnsString: true, requiredArgs: 1, jsonArgs: [0] },
  list_models: { returnsString: true, requiredArgs: 0 },
  http_request: { returnsString: true, requiredArgs: 1, jsonArgs: [0] },
  file_read: { returnsString: true, requiredArgs: 1, jsonArgs: [0] },
  list_active_tasks: { returnsString: true, requiredArgs: 0 },
  send_draft: { returnsString: false, requiredArgs: 2, jsonArgs: [1] },
  dispatch_interrupt: { returnsString: false, requiredArgs: 1 },
  dispatch_add_issue: { returnsString: true, requiredArgs: 0, jsonArgs: [1] },
  complete_cancel: { returnsString: false, requiredArgs: 1 },
  get_active_agent_id: { returnsString: true, requiredArgs: 0, answersPlainString: true },
  log_structured: { returnsString: false, requiredArgs: 1, jsonArgs: [1] },
};

export type ServedSlot = keyof typeof SLOT_RULES;

/**
 * Deepest array/object nesting a JSON argument may have. Real requests use a
 * few levels; the cap stays below SQLite's JSON depth limit (1000), so every
 * accepted payload can be stored and searched, and keeps recursive walks
 * (redaction, validation, serialisation) far from the stack's end.
 */
export const MAX_ARGUMENT_DEPTH = 512;

/** Why one host-call argument is refused before anything decodes or parses it. */
export interface RefusedArgument {
  index: number;
  /** The envelope a string slot answers. */
  envelope: string;
  /** What Insights and logs get instead of the argument. */
  marker: string;
}

/**
 * The first argument over the size limit (any argument) or the depth limit
 * (JSON arguments), measured by the native bridge on the plugin's thread; null
 * when every argument is within both.
 */
export function refusedArgument(
  slot: ServedSlot,
  argBytes: readonly number[],
  argDepths: readonly number[],
  maxArgumentBytes: number,
): RefusedArgument | null {
  const jsonArgs = SLOT_RULES[slot].jsonArgs ?? [];
  for (const [index, bytes] of argBytes.entries()) {
    const depth = jsonArgs.includes(index) ? (argDepths[index] ?? 0) : 0;
    if (bytes <= maxArgumentBytes && depth <= MAX_ARGUMENT_DEPTH) continue;
    const problem =
      bytes > maxArgumentBytes
        ? `is ${bytes} bytes, over the host's limit of ${maxArgumentBytes} bytes per argument`
        : `nests arrays/objects ${depth} levels deep, over the host's limit of ${MAX_ARGUMENT_DEPTH}`;
    return {
      index,
      envelope: JSON.stringify({ error: 'argument_too_large', message: `Argument ${index + 1} of ${slot} ${problem}; send less, or flatten it.` }),
      marker: `[not stored: argument ${problem}]`,
    };
  }
  return null;
}

/** The envelope a slot gives while no implementation is wired for it. */
export function notSupportedEnvelope(slot: ServedSlot): string {
  return JSON.stringify({ error: 'not_supported', message: `${slot} is not available in this host yet` });
}

/** HOST_API.md §0's host_timeout envelope, for calls from a plugin call that already timed out. */
export function abandonedCallEnvelope(): string {
  return JSON.stringify({
    error: 'host_timeout',
    message: 'The plugin call this host call belongs to has timed out; the host no longer serves it.',
  });
}

const INSIGHTS_ERROR_STATUS: Record<string, number> = {
  invalid_request: 400,
  invalid_task_id: 400,
  unauthorized: 401,
  consent_required: 401,
  forbidden: 403,
  access_denied: 403,
  not_found: 404,
  'Plugin is shutting down': 503,
  rate_limit_exceeded: 429,
  plugin_busy: 429,
  not_supported: 501,
  argument_too_large: 413,
};

const LOG_STATUS = [200, 200, 200, 299, 500];

/**
 * The status a host call records (INSIGHTS.md §1): a JSON answer with a
 * string `error` maps through the error table, otherwise the slot's own
 * success status.
 */
export function hostCallStatus(slot: ServedSlot, intArg: number, response: string | null): number {
  if (slot === 'log' || slot === 'log_structured') return LOG_STATUS[intArg] ?? 200;
  if (slot === 'dispatch_clarify') return 410;
  if (slot === 'dispatch_add_issue') return 501;
  if (slot === 'dispatch_cancel' || slot === 'complete_cancel') return 204;
  if (response?.includes('"error"')) {
    try {
      const parsed = JSON.parse(response) as { error?: unknown };
      if (typeof parsed.error === 'string') return INSIGHTS_ERROR_STATUS[parsed.error] ?? 500;
    } catch {
      // Not JSON: a plain answer, not an error envelope.
    }
  }
  return slot === 'dispatch' ? 202 : 200;
}
