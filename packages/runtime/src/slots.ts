import { ENVELOPE_CODES, errorEnvelope, hostSlot, isEnvelopeCode, logLevelStatus, SERVED_SLOTS, type ServedSlotName } from '@osr-host/abi';

/** How the runtime treats one host slot before any implementation sees the call; derived from the slot's descriptor in @osr-host/abi. */
export interface SlotRules {
  /** The slot returns a string to the plugin (otherwise it is void). */
  returnsString: boolean;
  /** How many leading C-string arguments must be non-NULL (HOST_API.md §0). */
  requiredArgs: number;
  /** The value at those positions is a secret: it never reaches an event or a log (D14). */
  secretArgs: readonly number[];
  /** The answer is a secret (config_get). */
  secretResponse: boolean;
  /** The answer is a bare string, not JSON, so an error envelope would be read as a value. */
  answersPlainString: boolean;
  /** While the plugin is being torn down the slot answers `PLUGIN_SHUTTING_DOWN_REPLY` and does not run. */
  refusedInTeardown: boolean;
  /** Positions of arguments that are JSON text, which the host parses: their nesting depth is bounded. */
  jsonArgs: readonly number[];
}

/** Upstream's exact answer to a database call made while its plugin is being torn down. */
export const PLUGIN_SHUTTING_DOWN_REPLY = JSON.stringify(errorEnvelope('Plugin is shutting down', null));

export const SLOT_RULES = Object.fromEntries(
  SERVED_SLOTS.map((name) => {
    const slot = hostSlot(name);
    const rules: SlotRules = {
      returnsString: slot.answer !== 'none',
      requiredArgs: slot.requiredArgs,
      secretArgs: slot.secretArgs,
      secretResponse: slot.secretAnswer,
      answersPlainString: slot.answer === 'text',
      refusedInTeardown: slot.refusedInTeardown,
      jsonArgs: slot.jsonArgs,
    };
    return [name, rules];
  }),
) as Record<ServedSlotName, SlotRules>;

export type ServedSlot = ServedSlotName;

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
  const jsonArgs = SLOT_RULES[slot].jsonArgs;
  for (const [index, bytes] of argBytes.entries()) {
    const depth = jsonArgs.includes(index) ? (argDepths[index] ?? 0) : 0;
    if (bytes <= maxArgumentBytes && depth <= MAX_ARGUMENT_DEPTH) continue;
    const problem =
      bytes > maxArgumentBytes
        ? `is ${bytes} bytes, over the host's limit of ${maxArgumentBytes} bytes per argument`
        : `nests arrays/objects ${depth} levels deep, over the host's limit of ${MAX_ARGUMENT_DEPTH}`;
    return {
      index,
      envelope: JSON.stringify(errorEnvelope('argument_too_large', `Argument ${index + 1} of ${slot} ${problem}; send less, or flatten it.`)),
      marker: `[not stored: argument ${problem}]`,
    };
  }
  return null;
}

/** The envelope a slot gives while no implementation is wired for it. */
export function notSupportedEnvelope(slot: ServedSlot): string {
  return JSON.stringify(errorEnvelope('not_supported', `${slot} is not available in this host yet`));
}

/** The envelope a string slot answers when the host's implementation of it threw. */
export function hostErrorEnvelope(slot: string, error: unknown): string {
  return JSON.stringify(errorEnvelope('host_error', `The host failed while serving ${slot}: ${(error as Error)?.message ?? String(error)}`));
}

/** HOST_API.md §0's host_timeout envelope, for calls from a plugin call that already timed out. */
export function abandonedCallEnvelope(): string {
  return JSON.stringify(errorEnvelope('host_timeout', 'The plugin call this host call belongs to has timed out; the host no longer serves it.'));
}


/**
 * The status a host call records (INSIGHTS.md §1): a JSON answer with a
 * string `error` maps through the codes' statuses (P148), otherwise the
 * slot's own success status.
 */
export function hostCallStatus(slot: ServedSlot, intArg: number, response: string | null): number {
  if (slot === 'log' || slot === 'log_structured') return logLevelStatus(intArg);
  if (slot === 'dispatch_clarify') return 410;
  if (slot === 'dispatch_add_issue') return 501;
  if (slot === 'dispatch_cancel' || slot === 'complete_cancel') return 204;
  if (response?.includes('"error"')) {
    try {
      const parsed = JSON.parse(response) as { error?: unknown };
      if (typeof parsed.error === 'string') return isEnvelopeCode(parsed.error) ? ENVELOPE_CODES[parsed.error].insightsStatus : 500;
    } catch {
      // Not JSON: a plain answer, not an error envelope.
    }
  }
  return slot === 'dispatch' ? 202 : 200;
}
