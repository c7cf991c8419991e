import { type CallOutcome, signatureParameterNames } from '@osr-host/abi';
import {
  type AnsweredHostCall,
  type BridgeCallResult,
  type CallFrame,
  DEFAULT_HOST_ABI_LEVEL,
  DEFAULT_MAX_PLUGIN_STRING_BYTES,
  type HostAbiLevel,
  type HostCallEvent,
  HOST_SLOTS,
  NativeBridge,
  PluginLibrary,
  type RemoteFrameEvent,
} from '@osr-host/abi-struct';
import { RuntimeError } from './errors.js';
import type { RuntimeEvents } from './events.js';
import { answerFrameAgent, type FrameKind, type HostApi, type HostCallContext, type HostCallRecord } from './host-api.js';
import { argumentsOffLoop } from './large-arguments.js';
import type { PluginInstance } from './plugin-instance.js';
import type { SlotServer } from './slot-server.js';
import {
  abandonedCallEnvelope,
  hostCallStatus,
  hostErrorEnvelope,
  MAX_ARGUMENT_DEPTH,
  notSupportedEnvelope,
  PLUGIN_SHUTTING_DOWN_REPLY,
  refusedArgument,
  SLOT_RULES,
  type ServedSlot,
} from './slots.js';

/** Limits for each kind of plugin call, in milliseconds. */
export interface PluginTimeouts {
  /** entry + init + get_manifest together (upstream's helper uses 30 s). */
  load: number;
  /** A tool invoke (HOST_API.md §12: 120 s). */
  tool: number;
  /** handle_route (D16: 30 s). */
  route: number;
  /** on_config_changed and on_task_event deliveries. */
  delivery: number;
  /** destroy, once shutdown has drained. */
  destroy: number;
}

export const DEFAULT_TIMEOUTS: PluginTimeouts = { load: 30_000, tool: 120_000, route: 30_000, delivery: 15_000, destroy: 5_000 };

export interface LoadPluginOptions {
  /** The plugin's id: its install directory name (the preliminary id of ABI.md §4). */
  pluginId: string;
  /** Host ABI level (D1); default 6. */
  level?: HostAbiLevel;
  /** Serves the plugin's host calls. */
  hostApi?: HostApi;
  timeouts?: Partial<PluginTimeouts>;
  /** Largest string accepted from the plugin, in bytes (default 64 MiB): returned strings and host-call arguments. */
  maxStringBytes?: number;
  /** Receives host-call records and call accounting. */
  events?: RuntimeEvents;
  /**
   * Answers db_exec and db_query on a thread of its own instead of `hostApi` (P177): every statement of
   * the plugin runs there, whichever thread made the call. `hostApi` still answers the calls the
   * runtime refuses (NULL statement, oversized argument, timed-out frame, teardown) without running them.
   */
  slotServer?: SlotServer;
  /**
   * The host's config change marker: an 8-byte file every config write rewrites (config-keychain's
   * `ConfigStore` with `changeMarkerPath`). With it, a config_get answer `hostApi` marks with
   * `ctx.keepAnswer()` is answered again on the plugin's own thread until the marker changes (P178).
   */
  configChangeMarker?: string;
}

/** How one plugin call ended. */
export type { CallOutcome };

export interface CallOptions {
  /** The agent the frame runs under; null for none. */
  agentId?: string | null;
  /** Overrides the default limit for this call. */
  timeoutMs?: number;
  /**
   * Cancels the call from the caller's side (an MCP client's cancellation, say): the caller is
   * released at once and the call is abandoned as on a timeout — still counted until its thread
   * returns, and its later host calls refused.
   */
  signal?: AbortSignal;
}

interface Frame {
  id: number;
  kind: FrameKind;
  agentId: string | null;
  abandoned: boolean;
  /** Host calls from the frame not yet handed to their implementation (a remote call's end is reported once none is). */
  serving?: number;
  whenServed?: () => void;
}

let lastFrameId = 0;

const hostSlotArity = Object.fromEntries(HOST_SLOTS.map((slot) => [slot.name, signatureParameterNames(slot.signature).length])) as Record<
  ServedSlot,
  number
>;

function byteLength(value: string | null): number {
  return value === null ? 0 : Buffer.byteLength(value);
}

/** Remote frames abandoned before they were seen to open, remembered at most (see `abandonRemoteFrame`). */
const MAX_EARLY_ABANDONED_FRAMES = 1024;

/** Slots that still do their work when an argument is refused: the message is logged, with a marker as payload. */
const SERVED_WITH_MARKER: ReadonlySet<ServedSlot> = new Set(['log_structured']);

/** Why a string cannot cross into C, or null when it can. */
function unsendableReason(name: string, value: string): string | null {
  if (value.includes('\0')) return `The ${name} contains a NUL character, which a C string cannot carry; remove it.`;
  if (!value.isWellFormed()) return `The ${name} contains unpaired UTF-16 surrogates and is not valid UTF-8; send well-formed text.`;
  return null;
}

/** An `invalid_argument` outcome for the first string that cannot cross into C, or null when every one can. */
export function unsendableOutcome(strings: ReadonlyArray<readonly [name: string, value: string]>): CallOutcome | null {
  for (const [name, value] of strings) {
    const reason = unsendableReason(name, value);
    if (reason) return { kind: 'invalid_argument', message: reason };
  }
  return null;
}

/**
 * One loaded native plugin. Every call into it runs on a native bridge
 * thread, so a call that blocks costs that thread only; timeouts release the
 * caller, and a timed-out call stays accounted for until its thread returns.
 */
export class NativePlugin implements PluginInstance {
  readonly isolated = false;
  readonly id: string;
  readonly path: string;
  readonly hostLevel: HostAbiLevel;
  /** The manifest text get_manifest returned (validate it with @osr-host/manifest). */
  manifestText = '';
  private library!: PluginLibrary;
  private ctx: bigint | null = null;
  private readonly hostApi: HostApi;
  private readonly timeouts: PluginTimeouts;
  private readonly events: RuntimeEvents | undefined;
  private readonly maxStringBytes: number | undefined;
  private readonly slotServer: SlotServer | undefined;
  private readonly frames = new Map<number, Frame>();
  /** Frames of remote calls the host gave up on before this process learnt they began. */
  private readonly abandonedRemoteFrames = new Set<number>();
  private onRemoteHostCallsReported: ((frameId: number) => void) | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private abandonedCalls = 0;
  /**
   * Whether the bridge keeps this plugin's config_get answers (`LoadPluginOptions.configChangeMarker`):
   * the marker's path until the first answer that could be kept opens the cache, so a plugin that reads
   * no config writes nothing under the host's home.
   */
  private configCache: { markerPath: string } | 'open' | 'off' = 'off';
  private state: 'loading' | 'live' | 'shutting_down' | 'shut_down' = 'loading';
  private destroyStarted = false;
  private shutdownDone: Promise<void> | undefined;

  private constructor(path: string, options: LoadPluginOptions) {
    this.id = options.pluginId;
    this.path = path;
    this.hostLevel = options.level ?? DEFAULT_HOST_ABI_LEVEL;
    this.hostApi = options.hostApi ?? {};
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.events = options.events;
    this.maxStringBytes = options.maxStringBytes;
    this.slotServer = options.slotServer;
  }

  /**
   * dlopen → entry → init → get_manifest (ABI.md §5). Loader failures throw
   * AbiError with the loader's message; init and manifest failures throw
   * RuntimeError after destroying what was initialised.
   */
  static async load(path: string, options: LoadPluginOptions): Promise<NativePlugin> {
    const plugin = new NativePlugin(path, options);
    const deadline = plugin.timeouts.load;
    const timedOut = () =>
      new RuntimeError('init_failed', `Plugin '${plugin.id}' did not finish loading within ${deadline / 1000} s; check its entry and init functions for blocking work.`);

    const slotServer = options.slotServer;
    const slotServerQueue = slotServer?.assign(plugin.id) ?? null;
    const entryFrame = plugin.openFrame('entry', null);
    try {
      plugin.library = await plugin.withDeadline(
        PluginLibrary.open(path, {
          level: plugin.hostLevel,
          frameId: entryFrame.id,
          maxStringBytes: options.maxStringBytes,
          onHostCall: (event) => plugin.serveHostCall(event),
          // The frame's agent is all the host's get_active_agent_id answers: the bridge answers it on the plugin's thread.
          answerFromFrame: plugin.hostApi.get_active_agent_id === answerFrameAgent,
          onAnsweredHostCall: (call) => plugin.recordAnsweredCall(call),
          onRemoteFrame: (event) => plugin.trackRemoteFrame(event),
          ...(slotServer && slotServerQueue !== null
            ? {
                slotServer: {
                  server: slotServerQueue,
                  pluginId: plugin.id,
                  slots: slotServer.slots,
                  maxArgumentBytes: plugin.maxStringBytes ?? DEFAULT_MAX_PLUGIN_STRING_BYTES,
                  maxArgumentDepth: MAX_ARGUMENT_DEPTH,
                },
              }
            : {}),
        }),
        deadline,
        timedOut,
      );
    } catch (error) {
      slotServer?.release(plugin.id);
      throw error;
    } finally {
      plugin.frames.delete(entryFrame.id);
    }
    if (options.configChangeMarker) plugin.configCache = { markerPath: options.configChangeMarker };

    try {
      plugin.ctx = await plugin.inFrame('init', null, (frame) => plugin.withDeadline(plugin.library.init(frame), deadline, timedOut));
      if (plugin.ctx === null) throw new RuntimeError('init_failed', 'Plugin initialization failed');
    } catch (error) {
      plugin.library.release();
      slotServer?.release(plugin.id);
      throw error;
    }

    try {
      const manifest = await plugin.inFrame('manifest', null, (frame) =>
        plugin.withDeadline(plugin.library.getManifest(plugin.ctx, frame), deadline, timedOut),
      );
      if (manifest.tooLarge) {
        throw new RuntimeError('manifest_missing', `Plugin failed to return manifest: it is ${manifest.textBytes} bytes, over the host's limit`);
      }
      if (manifest.text === null) throw new RuntimeError('manifest_missing', 'Plugin failed to return manifest');
      plugin.manifestText = manifest.text;
    } catch (error) {
      plugin.state = 'live';
      await plugin.shutdown();
      throw error;
    }
    plugin.state = 'live';
    return plugin;
  }

  /** Effective plugin ABI (D2): 1 through the v1 entry, else max(version, 2). */
  get abi(): number {
    return this.library.abi;
  }

  get supportsRoutes(): boolean {
    return this.abi >= 2 && this.library.functions.handle_route !== null;
  }

  get supportsConfigChanges(): boolean {
    return this.abi >= 2 && this.library.functions.on_config_changed !== null;
  }

  get supportsTaskEvents(): boolean {
    return this.abi >= 2 && this.library.functions.on_task_event !== null;
  }

  get isShutDown(): boolean {
    return this.state === 'shutting_down' || this.state === 'shut_down';
  }

  /** From the start of destroy on; calls that were in flight when shutdown began finished before it. */
  private get inTeardown(): boolean {
    return this.destroyStarted || this.state === 'shut_down';
  }

  /**
   * In a plugin process: the host's invokes (and route calls) arriving on the remote-call channel it passed
   * as `fd`, with its wake-up pipe as `wakeFd`, run below JS from now on (see `NativeBridge.attachRemoteChannel`);
   * the host keeps their deadlines and calls `abandonRemoteFrame`. A call that made host calls is answered before
   * they are reported: `onHostCallsReported` runs once every report the runtime's events carry for it has been
   * emitted. False when the channel cannot be used; the host then sends calls over IPC.
   */
  serveRemoteCalls(fd: number, wakeFd: number, onHostCallsReported: (frameId: number) => void): boolean {
    this.onRemoteHostCallsReported = onHostCallsReported;
    const channel = this.library.bridge.attachRemoteChannel(fd, wakeFd);
    return channel !== null && this.library.serveRemoteCalls(channel, this.ctx, { routes: this.supportsRoutes });
  }

  /** The host stopped waiting for the remote call running in `frameId`: its host calls are refused from now on. */
  abandonRemoteFrame(frameId: number): void {
    const frame = this.frames.get(frameId);
    if (frame) frame.abandoned = true;
    else {
      // Unknown also when the call returned before the host's word arrived: keep the newest few only.
      this.abandonedRemoteFrames.add(frameId);
      if (this.abandonedRemoteFrames.size > MAX_EARLY_ABANDONED_FRAMES) this.abandonedRemoteFrames.delete(this.abandonedRemoteFrames.values().next().value as number);
    }
    this.library.abandonFrame({ id: frameId });
  }

  private trackRemoteFrame(event: RemoteFrameEvent): void {
    if (!event.opened) {
      const frame = this.frames.get(event.frameId);
      this.frames.delete(event.frameId);
      if (!event.hostCallsFollow) return;
      // Reported once each of its host calls reached its implementation: a queued log's forward to the host is sent by then.
      const report = () => this.onRemoteHostCallsReported?.(event.frameId);
      if (frame?.serving) frame.whenServed = report;
      else report();
      return;
    }
    const abandoned = this.abandonedRemoteFrames.delete(event.frameId);
    this.frames.set(event.frameId, { id: event.frameId, kind: event.call === 'handleRoute' ? 'route' : 'invoke', agentId: event.agentId, abandoned });
  }

  /** Calls still running, and those among them that already timed out. */
  stats(): { inFlight: number; abandoned: number } {
    return { inFlight: this.inFlight.size + this.abandonedCalls, abandoned: this.abandonedCalls };
  }

  /** `invoke(ctx, type, id, payload)` under an agent frame. */
  invoke(type: string, id: string, payload: string, options: CallOptions = {}): Promise<CallOutcome> {
    const refused = unsendableOutcome([
      ['capability type', type],
      ['tool id', id],
      ['payload', payload],
    ]);
    if (refused) return Promise.resolve(refused);
    return this.call(
      'invoke',
      options.agentId ?? null,
      options.timeoutMs ?? this.timeouts.tool,
      (frame) => this.library.invoke(this.ctx, type, id, payload, frame),
      options.signal,
    );
  }

  /** A tool invoke whose every outcome is a tool-result envelope string (HOST_API.md §12). */
  async invokeTool(toolId: string, payload: string, options: CallOptions = {}): Promise<string> {
    return toolResult(toolId, await this.invoke('tool', toolId, payload, options), this.maxStringBytes);
  }

  /** `handle_route(ctx, request_json)` (D16: 30 s). Callers check `supportsRoutes` first. */
  handleRoute(requestJson: string, options: CallOptions = {}): Promise<CallOutcome> {
    const refused = unsendableOutcome([['route request', requestJson]]);
    if (refused) return Promise.resolve(refused);
    return this.call('route', options.agentId ?? null, options.timeoutMs ?? this.timeouts.route, (frame) =>
      this.library.handleRoute(this.ctx, requestJson, frame),
    );
  }

  /** Delivers `on_config_changed(key, value)`; false when the plugin cannot receive it (v1, or no slot). */
  async configChanged(key: string, value: string | null, options: CallOptions = {}): Promise<boolean> {
    if (!this.supportsConfigChanges) return false;
    const outcome = await this.call('config', options.agentId ?? null, options.timeoutMs ?? this.timeouts.delivery, async (frame) => {
      await this.library.configChanged(this.ctx, key, value, frame);
      return emptyResult;
    });
    return outcome.kind === 'null'; // a void function that returned
  }

  /** Delivers `on_task_event(task_id, type, json)`; false when the plugin cannot receive it. */
  async taskEvent(taskId: string, eventType: number, eventJson: string, options: CallOptions = {}): Promise<boolean> {
    if (!this.supportsTaskEvents) return false;
    const outcome = await this.call('task_event', options.agentId ?? null, options.timeoutMs ?? this.timeouts.delivery, async (frame) => {
      await this.library.taskEvent(this.ctx, taskId, eventType, eventJson, frame);
      return emptyResult;
    });
    return outcome.kind === 'null'; // a void function that returned
  }

  /**
   * Stops new calls (they get "Plugin has been shut down"), waits for calls
   * in flight to finish or time out, then runs destroy exactly once.
   */
  shutdown(): Promise<void> {
    if (this.shutdownDone) return this.shutdownDone;
    this.state = 'shutting_down';
    this.shutdownDone = (async () => {
      await Promise.allSettled([...this.inFlight]);
      this.destroyStarted = true;
      // From here database calls answer "Plugin is shutting down": that rule lives in serveHostCall.
      this.library.stopServingOnServer();
      this.slotServer?.release(this.id);
      try {
        if (this.ctx !== null) {
          const timedOut = () => new RuntimeError('shut_down', `Plugin '${this.id}' did not finish destroy within ${this.timeouts.destroy / 1000} s.`);
          await this.inFrame('destroy', null, (frame) => this.withDeadline(this.library.destroy(this.ctx, frame), this.timeouts.destroy, timedOut));
        }
      } catch (error) {
        this.events?.emit('pluginError', { pluginId: this.id, error });
      } finally {
        this.state = 'shut_down';
        this.library.release();
      }
    })();
    return this.shutdownDone;
  }

  private async call(
    kind: FrameKind,
    agentId: string | null,
    timeoutMs: number,
    start: (frame: CallFrame) => Promise<BridgeCallResult>,
    signal?: AbortSignal,
  ): Promise<CallOutcome> {
    if (this.state !== 'live') return { kind: 'shut_down' };
    if (signal?.aborted) return cancelledOutcome;
    const frame = this.openFrame(kind, agentId);
    const running = start(frame);
    const settled = running.then(
      (result) => outcomeOf(result),
      (): CallOutcome => ({ kind: 'null' }),
    );
    this.inFlight.add(settled);
    const outcome = await outcomeWithin(settled, timeoutMs, signal);
    this.inFlight.delete(settled);
    if (!gaveUp(outcome)) {
      this.frames.delete(frame.id);
      return outcome;
    }
    // The thread is still inside the plugin: keep it counted, and refuse its host calls from now on.
    frame.abandoned = true;
    this.library.abandonFrame(frame);
    this.abandonedCalls++;
    this.events?.emit('callAbandoned', { pluginId: this.id, frame: kind, timeoutMs });
    void settled.then(() => {
      this.abandonedCalls--;
      this.frames.delete(frame.id);
      this.events?.emit('abandonedCallReturned', { pluginId: this.id, frame: kind });
    });
    return outcome;
  }

  private openFrame(kind: FrameKind, agentId: string | null): Frame {
    const frame = { id: ++lastFrameId, kind, agentId, abandoned: false };
    this.frames.set(frame.id, frame);
    return frame;
  }

  private async inFrame<T>(kind: FrameKind, agentId: string | null, run: (frame: CallFrame) => Promise<T>): Promise<T> {
    const frame = this.openFrame(kind, agentId);
    try {
      return await run(frame);
    } finally {
      this.frames.delete(frame.id);
    }
  }

  private withDeadline<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(error()), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** The runtime's one entry for host calls: NULL rules, frames, the slot implementation, instrumentation. */
  private serveHostCall(event: HostCallEvent): void {
    const bridge = NativeBridge.open();
    const slot = event.slot as ServedSlot;
    const rules = SLOT_RULES[slot];
    const frame = event.frameId === 0 ? undefined : this.frames.get(event.frameId);
    if (frame?.abandoned) {
      bridge.reply(event.request, rules.returnsString && !rules.answersPlainString ? abandonedCallEnvelope() : null);
      return;
    }
    if (event.argIsNull.slice(0, rules.requiredArgs).some(Boolean)) {
      bridge.reply(event.request, null);
      return;
    }
    const context: HostCallContext = { pluginId: this.id, agentId: frame?.agentId ?? null, frame: frame?.kind ?? null };
    if (frame) frame.serving = (frame.serving ?? 0) + 1;
    // The frame's host call has reached the host's implementation (a void slot's may still be running).
    let dispatched = false;
    const dispatch = () => {
      if (dispatched || !frame) return;
      dispatched = true;
      if (--(frame.serving as number) === 0) frame.whenServed?.();
    };
    // Sizes and depths were measured on the plugin's thread: an oversized or too deeply nested argument is
    // refused here, before it is decoded or parsed on this (the event loop's) thread.
    const refused = refusedArgument(slot, event.argBytes, event.argDepths, this.maxStringBytes ?? DEFAULT_MAX_PLUGIN_STRING_BYTES);
    // Taken before the implementation reads the store: an answer read across a config write is not kept.
    const configMarker = slot === 'config_get' && context.agentId !== null && !refused ? this.configChangeMarker(bridge) : null;
    let answerKept = false;
    if (configMarker !== null) {
      context.keepAnswer = () => {
        answerKept = true;
      };
    }
    const cArgs = Array.from({ length: hostSlotArity[slot] }, (_, index) => (index === refused?.index ? refused.marker : event.readArg(index)));
    const refusal = refused && !SERVED_WITH_MARKER.has(slot) ? { answer: rules.returnsString && !rules.answersPlainString ? refused.envelope : undefined } : null;
    const onChunk = slot === 'complete_stream' && event.hasOnChunk ? (chunk: string) => bridge.runChunk(event.request, chunk) : null;
    const implementationArgs = (args: (string | null)[]) =>
      slot === 'log' || slot === 'log_structured'
        ? [event.intArg, ...args]
        : slot === 'complete_stream'
          ? [args[0], onChunk]
          : args;
    const implementation =
      rules.refusedInTeardown && this.inTeardown
        ? () => PLUGIN_SHUTTING_DOWN_REPLY
        : (this.hostApi[slot] as ((ctx: HostCallContext, ...args: unknown[]) => unknown) | undefined);
    const startedAt = new Date();
    const started = performance.now();

    (refused ? Promise.resolve(cArgs) : argumentsOffLoop(slot, cArgs, event.argBytes))
      .then((args) => {
        try {
          return refusal ? refusal.answer : implementation ? implementation.call(this.hostApi, context, ...implementationArgs(args)) : notSupportedAnswer(slot);
        } finally {
          dispatch();
        }
      })
      .then(
        (answer) => (rules.returnsString && typeof answer === 'string' ? answer : null),
        (error: unknown) => {
          dispatch();
          answerKept = false;
          this.events?.emit('pluginError', { pluginId: this.id, error });
          return rules.returnsString
            ? hostErrorEnvelope(slot, error)
            : null;
        },
      )
      .then((response) => {
        const key = cArgs[0];
        if (answerKept && configMarker !== null && context.agentId !== null && typeof key === 'string') {
          bridge.keepConfigAnswer(this.library.pluginSlot, context.agentId, key, response, configMarker);
        }
        bridge.reply(event.request, response);
        this.recordHostCall({
          agentId: context.agentId,
          frame: context.frame,
          slot,
          status: hostCallStatus(slot, event.intArg, response),
          startedAt,
          durationMs: performance.now() - started,
          args: cArgs,
          intArg: event.intArg,
          response,
          requestBytes: event.argBytes.slice(0, cArgs.length).reduce((sum, bytes) => sum + bytes, 0),
          responseBytes: byteLength(response),
        });
      });
  }

  /** The change marker to keep a config_get answer under, opening the bridge's cache on first use; null when answers are not kept. */
  private configChangeMarker(bridge: NativeBridge): bigint | null {
    if (typeof this.configCache === 'object') {
      this.configCache = bridge.cacheConfigAnswers(this.library.pluginSlot, this.configCache.markerPath) ? 'open' : 'off';
    }
    return this.configCache === 'open' ? bridge.configMarker(this.library.pluginSlot) : null;
  }

  /**
   * Records a host call answered on the plugin's thread: by the bridge (get_active_agent_id, a kept
   * config_get answer) or a slot server (db_exec, db_query).
   */
  private recordAnsweredCall(call: AnsweredHostCall): void {
    const frame = call.frameId === 0 ? undefined : this.frames.get(call.frameId);
    const slot = call.slot as ServedSlot;
    const arity = hostSlotArity[slot];
    this.recordHostCall({
      agentId: frame?.agentId ?? null,
      frame: frame?.kind ?? null,
      slot,
      status: hostCallStatus(slot, 0, call.response),
      startedAt: call.startedAt,
      durationMs: call.durationMs,
      args: call.args.slice(0, arity),
      intArg: 0,
      response: call.response,
      requestBytes: call.argBytes.slice(0, arity).reduce((sum, bytes) => sum + bytes, 0),
      responseBytes: byteLength(call.response),
    });
  }

  /** Emits a host call's record with the slot's secret arguments and answer redacted (D14); byte counts stay as measured. */
  private recordHostCall(record: Omit<HostCallRecord, 'pluginId'>): void {
    const { secretArgs, secretResponse } = SLOT_RULES[record.slot];
    this.events?.emit('hostCall', {
      pluginId: this.id,
      ...record,
      args: record.args.map((arg, index) => (secretArgs.includes(index) && arg !== null ? '[redacted]' : arg)),
      response: secretResponse && record.response !== null ? '[redacted]' : record.response,
    });
  }
}

/** What a caller that cancelled gets; the plugin's thread is still running the call. */
export const cancelledOutcome: CallOutcome = {
  kind: 'unavailable',
  message: 'The call was cancelled by its caller; the plugin keeps running it until it returns, and its later host calls are refused.',
};

const emptyResult: BridgeCallResult = { pointer: null, text: null, textBytes: 0, tooLarge: false, failed: false };

function notSupportedAnswer(slot: ServedSlot): string | undefined {
  return SLOT_RULES[slot].returnsString ? notSupportedEnvelope(slot) : undefined;
}

/** The call's outcome, or `timeout` (or cancelled) if its deadline passes (or `signal` aborts) first. */
export async function outcomeWithin(settled: Promise<CallOutcome>, timeoutMs: number, signal?: AbortSignal): Promise<CallOutcome> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<CallOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout', timeoutMs }), timeoutMs);
    onAbort = () => resolve(cancelledOutcome);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = await Promise.race([settled, stopped]);
  clearTimeout(timer);
  if (onAbort) signal?.removeEventListener('abort', onAbort);
  return outcome;
}

/** Whether `outcomeWithin` stopped waiting while the plugin's thread may still be inside the call. */
export function gaveUp(outcome: CallOutcome): boolean {
  return outcome.kind === 'timeout' || outcome === cancelledOutcome;
}

export function outcomeOf(result: BridgeCallResult): CallOutcome {
  if (result.tooLarge) return { kind: 'too_large', bytes: result.textBytes };
  if (result.text === null) return { kind: 'null' };
  return { kind: 'returned', text: result.text };
}

/** Maps a tool call's outcome to the string the caller sees: the plugin's own text, or an error envelope. */
export function toolResult(toolId: string, outcome: CallOutcome, maxStringBytes?: number): string {
  const failure = (kind: string, message: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ ok: false, kind, message, tool: toolId, ...extra });
  switch (outcome.kind) {
    case 'returned':
      return outcome.text;
    case 'null':
      return failure('execution_error', 'Plugin returned NULL response');
    case 'too_large':
      return failure(
        'execution_error',
        `Plugin returned ${outcome.bytes} bytes, over the host's limit${maxStringBytes ? ` of ${maxStringBytes} bytes` : ''}; return less data or page it.`,
      );
    case 'timeout':
      return failure('timeout', `Tool '${toolId}' did not finish within ${outcome.timeoutMs / 1000} s.`, { retryable: true });
    case 'shut_down':
      return failure('unavailable', 'Plugin has been shut down');
    case 'invalid_argument':
      return failure('invalid_args', outcome.message);
    case 'unavailable':
      return failure('unavailable', outcome.message);
  }
}
