import type { FrameKind, HOST_SLOTS, HostCallRecord, ServedSlotName } from '@osr-host/abi';

export type { FrameKind, HostCallRecord };

/** Who is calling: the plugin always (D3); the agent only from a frame that carries one. */
export interface HostCallContext {
  pluginId: string;
  /** The frame's agent. Null in frames without an agent and on threads that run no frame (D3). */
  agentId: string | null;
  /** The frame the calling thread is running; null for threads the plugin spawned itself. */
  frame: FrameKind | null;
  /**
   * config_get only, when the runtime caches config answers (`LoadPluginOptions.configChangeMarker`):
   * call it when the answer is what the store holds for this agent and key, not a fallback after a
   * failure. The plugin's thread then gets the same answer for the same agent and key without a
   * round trip, until the next config write moves the change marker.
   */
  keepAnswer?: () => void;
}

type Answer<T> = T | Promise<T>;

/**
 * get_active_agent_id as the host defines it: the agent of the frame the calling thread runs, null
 * elsewhere (D3). Given as a host API's get_active_agent_id, the native bridge answers it on the
 * plugin's own thread, with no round trip through the event loop; any other function is called as usual.
 */
export const answerFrameAgent = (ctx: HostCallContext): string | null => ctx.agentId;

/** A slot's descriptor in @osr-host/abi, by name. */
type Descriptor<Slot extends ServedSlotName> = Extract<(typeof HOST_SLOTS)[number], { name: Slot }>;

/** The C parameters of a prototype, one declaration each: `int level, const char* message` → [`int level`, `const char* message`]. */
type CParameters<List extends string> = List extends ''
  ? []
  : List extends `${infer Head}, ${infer Tail}`
    ? [Head, ...CParameters<Tail>]
    : [List];

type Tuple<Length extends number, Built extends unknown[] = []> = Built['length'] extends Length ? Built : Tuple<Length, [...Built, unknown]>;

/** Whether a host call has more required C strings than the `Seen` ones before this one. */
type IsRequired<Required extends number, Seen extends unknown[]> = Tuple<Required> extends [...Seen, unknown, ...unknown[]] ? true : false;

/**
 * The JavaScript arguments of C parameters: a C string is a string (null for NULL, except the
 * required leading ones), an int a number, complete_stream's `on_chunk` a function that runs it
 * on the calling thread and resolves once it returned; `user_data` stays in C.
 */
type JsArguments<Parameters extends string[], Required extends number, Seen extends unknown[] = []> = Parameters extends [
  infer Parameter extends string,
  ...infer Rest extends string[],
]
  ? Parameter extends `const char* ${string}`
    ? [IsRequired<Required, Seen> extends true ? string : string | null, ...JsArguments<Rest, Required, [...Seen, unknown]>]
    : Parameter extends `int ${string}`
      ? [number, ...JsArguments<Rest, Required, Seen>]
      : Parameter extends `void* on_chunk`
        ? [((chunkJson: string) => Promise<void>) | null, ...JsArguments<Rest, Required, Seen>]
        : JsArguments<Rest, Required, Seen>
  : [];

/** A slot's arguments after the call context, derived from its C signature and required-argument count. */
type SlotArguments<Slot extends ServedSlotName> = Descriptor<Slot>['signature'] extends `${string}(${infer List})`
  ? JsArguments<CParameters<List>, Descriptor<Slot>['requiredArgs']>
  : never;

/** What a slot's function resolves to: nothing for a void slot, the answer (null for none) otherwise. */
type SlotAnswer<Slot extends ServedSlotName> = Answer<Descriptor<Slot>['answer'] extends 'none' ? void : string | null>;

/**
 * The host side of every host-table slot except free_string (which the
 * native bridge serves itself), typed from the slot descriptors of
 * @osr-host/abi: a new slot there is a new optional function here. Arguments
 * are the plugin's C strings (`null` for NULL) and ints, in the signature's
 * order; required ones are never null here (HOST_API.md §0 is applied before
 * the call). A slot left out answers `not_supported` (JSON slots) or does
 * nothing (void slots).
 */
export type HostApi = {
  [Slot in ServedSlotName]?: (ctx: HostCallContext, ...args: SlotArguments<Slot>) => SlotAnswer<Slot>;
};
