import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { bridgeLibraryPath, ensureBridgeLibrary } from '../native/build.mjs';
import { AbiError } from './errors.js';
import { HOST_SLOTS, type HostSlotName } from './layout.js';
import { processWide } from './process-wide.js';

/** Kinds of plugin call the bridge runs on its worker threads (mirrors osr_bridge.c). */
export const BridgeCallKind = {
  load: 1,
  entryV2: 2,
  entryV1: 3,
  init: 4,
  destroy: 5,
  getManifest: 6,
  invoke: 7,
  handleRoute: 8,
  configChanged: 9,
  taskEvent: 10,
} as const;
export type BridgeCallKindName = keyof typeof BridgeCallKind;

/** Kinds of event the bridge queues for JS (mirrors osr_bridge.c). */
export const BridgeEventKind = {
  /** A plugin thread made a host call that JS serves; answer it with `reply` (a queued call's thread is not waiting). */
  hostCall: 1,
  /** A plugin call returned on its bridge thread. */
  callDone: 2,
  /** A parked complete_stream caller finished running on_chunk. */
  chunkDone: 3,
  /** The bridge answered a host call on the plugin's thread; JS only records it. */
  hostCallAnswered: 4,
  /** In a plugin process: a call from the host's remote-call channel began; `frame_id`, its agent in `text`. JS only records it. */
  frameOpened: 5,
  /** In a plugin process: that call's plugin function returned. JS only records it. */
  frameClosed: 6,
} as const;

/**
 * How the bridge's trampoline serves each host slot (default `park`):
 * - `park`: queue the call for JS and park the calling thread until JS answers;
 * - `queue`: queue the call for JS and return at once (void slots whose effect the plugin cannot observe);
 * - `frame_agent`: answer the agent of the frame the calling thread runs, on that thread, when the
 *   plugin's host API asks for it (`NativeBridge.answerFromFrame`), else `park`;
 * - `slot_server`: hand the call to the plugin's slot server, a thread that answers it synchronously
 *   (`NativeBridge.serveOnServer`), and wait for the answer there; `park` for plugins without one, and
 *   for the slots their server does not serve;
 * - `config_cache`: answer what JS read before for the frame's agent and key, on the calling thread,
 *   until the next config write (`NativeBridge.cacheConfigAnswers`); `park` for anything not kept;
 * - `host_free`: the bridge's own free(), the same function in every table.
 */
export const HOST_SLOT_SERVING: Partial<Record<HostSlotName, 'queue' | 'frame_agent' | 'slot_server' | 'config_cache' | 'host_free'>> = {
  config_get: 'config_cache',
  log: 'queue',
  log_structured: 'queue',
  get_active_agent_id: 'frame_agent',
  db_exec: 'slot_server',
  db_query: 'slot_server',
  file_read: 'slot_server',
  free_string: 'host_free',
};

/** The slots a slot server can answer: those served `slot_server` in HOST_SLOT_SERVING. */
export const SLOT_SERVER_SLOTS = (Object.keys(HOST_SLOT_SERVING) as HostSlotName[]).filter((slot) => HOST_SLOT_SERVING[slot] === 'slot_server');

/** How a plugin's slot-server calls are served: the slots its server answers, and the argument limits JS applies. */
export interface SlotServerServing {
  /** The slots the server's handlers answer, each one of SLOT_SERVER_SLOTS; the others park. */
  readonly slots: readonly HostSlotName[];
  readonly maxArgumentBytes: number;
  readonly maxArgumentDepth: number;
}

/** Bit N set for host slot N (its 1-based index in HOST_SLOTS, as the trampolines pass it). */
function slotServerMask(slots: readonly HostSlotName[]): bigint {
  let mask = 0n;
  for (const name of slots) {
    if (!SLOT_SERVER_SLOTS.includes(name)) {
      throw new AbiError('invalid_argument', `A slot server cannot answer ${name}; it can answer ${SLOT_SERVER_SLOTS.join(', ')}.`);
    }
    mask |= 1n << BigInt(HOST_SLOTS.findIndex((slot) => slot.name === name) + 1);
  }
  return mask;
}

/** The event the bridge hands JS, field by field in C order; the C struct is generated from this list. */
export const BRIDGE_EVENT_FIELDS = [
  { name: 'kind', type: 'int32_t' },
  { name: 'plugin', type: 'int32_t' },
  { name: 'slot', type: 'int32_t' },
  { name: 'int_arg', type: 'int32_t' },
  { name: 'call_id', type: 'uint64_t' },
  { name: 'frame_id', type: 'uint64_t' },
  { name: 'request', type: 'void*' },
  { name: 'arg0', type: 'void*' },
  { name: 'arg1', type: 'void*' },
  { name: 'arg2', type: 'void*' },
  { name: 'on_chunk', type: 'void*' },
  { name: 'pointer_result', type: 'void*' },
  { name: 'text', type: 'void*' },
  { name: 'text_len', type: 'uint64_t' },
  { name: 'has_text', type: 'int32_t' },
  { name: 'failed', type: 'int32_t' },
  // HOST_CALL: each argument's byte length and deepest [ / { nesting, measured on the calling thread.
  { name: 'arg_bytes', type: 'uint64_t', count: 3 },
  { name: 'arg_depth', type: 'int32_t', count: 3 },
  // HOST_CALL_ANSWERED: when the call started (CLOCK_MONOTONIC, as process.hrtime) and how long it took.
  { name: 'started_ns', type: 'uint64_t' },
  { name: 'duration_ns', type: 'uint64_t' },
] as const;

/** Events handled per event-loop turn before other work gets its turn. */
const EVENTS_PER_TURN = 1024;

/** Plugin strings past this size are refused rather than decoded (a JS string cannot hold ~512 MiB). */
export const DEFAULT_MAX_PLUGIN_STRING_BYTES = 64 * 1024 * 1024;

const BridgeEventStruct = processWide('bridge-event', () =>
  koffi.struct(
    'osrb_event',
    Object.fromEntries(
      BRIDGE_EVENT_FIELDS.map((field) => [field.name, 'count' in field ? koffi.array(field.type, field.count, 'Array') : field.type]),
    ),
  ),
);

/** Byte size of the bridge's event struct and offset of each field, as koffi lays it out (checked against C). */
export function bridgeEventLayout(): { size: number; offsets: Record<string, number> } {
  return {
    size: koffi.sizeof(BridgeEventStruct),
    offsets: Object.fromEntries(BRIDGE_EVENT_FIELDS.map((field) => [field.name, koffi.offsetof(BridgeEventStruct, field.name)])),
  };
}

/** Reads one field of the event at its offset; both supported targets (x64, arm64) are little-endian. */
type FieldReader = (view: DataView, offset: number) => number | bigint | null;

const TWO_TO_32 = 2 ** 32;

// 64-bit values are read as two halves: a BigInt per field cost more than the rest of the read.
const READ_FIELD: Record<(typeof BRIDGE_EVENT_FIELDS)[number]['type'], { bytes: number; read: FieldReader }> = {
  int32_t: { bytes: 4, read: (view, offset) => view.getInt32(offset, true) },
  uint64_t: { bytes: 8, read: (view, offset) => view.getUint32(offset, true) + view.getUint32(offset + 4, true) * TWO_TO_32 },
  // Pointers stay bigint addresses, as koffi takes them back; NULL is null.
  'void*': {
    bytes: 8,
    read: (view, offset) => {
      const low = view.getUint32(offset, true);
      const high = view.getUint32(offset + 4, true);
      return low === 0 && high === 0 ? null : (BigInt(high) << 32n) | BigInt(low);
    },
  },
};

/**
 * A reader of the event struct, from BRIDGE_EVENT_FIELDS and koffi's offsets: DataView reads
 * per field, because koffi.decode of the whole struct cost about 5 µs per event (this, 0.6 µs).
 */
function bridgeEventReader(): (view: DataView) => RawBridgeEvent {
  const { offsets } = bridgeEventLayout();
  const fields = BRIDGE_EVENT_FIELDS.map((field) => ({
    name: field.name,
    offset: offsets[field.name] as number,
    ...READ_FIELD[field.type],
    count: 'count' in field ? field.count : 0,
  }));
  return (view) => {
    const event: Record<string, unknown> = {};
    for (const { name, offset, bytes, read, count } of fields) {
      if (count === 0) {
        event[name] = read(view, offset);
        continue;
      }
      const values = new Array(count);
      for (let index = 0; index < count; index++) values[index] = read(view, offset + index * bytes);
      event[name] = values;
    }
    return event as unknown as RawBridgeEvent;
  };
}

interface RawBridgeEvent {
  kind: number;
  plugin: number;
  slot: number;
  int_arg: number;
  call_id: number;
  frame_id: number;
  request: bigint | null;
  arg0: bigint | null;
  arg1: bigint | null;
  arg2: bigint | null;
  on_chunk: bigint | null;
  pointer_result: bigint | null;
  text: bigint | null;
  text_len: number;
  has_text: number;
  failed: number;
  arg_bytes: number[];
  arg_depth: number[];
  started_ns: number;
  duration_ns: number;
}

/** The bridge's C functions, declared once. */
function bindBridgeSymbols(library: LibraryHandle) {
  return {
    open: library.func('int32_t osrb_open()'),
    nextEvent: library.func('int32_t osrb_next_event(void* out)'),
    reply: library.func('void osrb_reply(void* request, const char* result)'),
    runChunk: library.func('void osrb_run_chunk(void* request, const char* chunk)'),
    start: library.func(
      'uint64_t osrb_start(int32_t kind, int32_t plugin, uint64_t frame, const char* agent, void* fn, void* free_fn, void* pointer_arg, const char* a0, const char* a1, const char* a2, int32_t int_arg)',
    ),
    answerFromFrame: library.func('void osrb_answer_from_frame(int32_t plugin, int32_t on)'),
    serveOnServer: library.func('void osrb_serve_on_server(int32_t plugin, int32_t server, const char* plugin_id, uint64_t max_bytes, int32_t max_depth, uint64_t slots)'),
    configCacheOpen: library.func('int32_t osrb_config_cache_open(int32_t plugin, const char* marker_path)'),
    configCacheClose: library.func('void osrb_config_cache_close(int32_t plugin)'),
    configCacheMarker: library.func('uint64_t osrb_config_cache_marker(int32_t plugin)'),
    configCacheKeep: library.func('void osrb_config_cache_keep(int32_t plugin, const char* agent, const char* key, const char* value, uint64_t tag)'),
    serverOpen: library.func('int32_t osrb_server_open()'),
    serverStop: library.func('void osrb_server_stop(int32_t server)'),
    serverClose: library.func('void osrb_server_close(int32_t server)'),
    abandonFrame: library.func('void osrb_abandon_frame(uint64_t frame)'),
    free: library.func('void osrb_free(void* pointer)'),
    trampoline: library.func('void* osrb_trampoline(int32_t plugin, int32_t slot)'),
    maxPlugins: library.func('int32_t osrb_max_plugins()'),
    retiredSlot: library.func('int32_t osrb_retired_slot()'),
    nextGeneration: library.func('void osrb_next_generation(int32_t plugin)'),
    poolStats: library.func('void osrb_pool_stats(_Out_ int32_t* out)'),
    channelCreate: library.func('int32_t osrb_channel_create(_Out_ int32_t* out)'),
    remoteStart: library.func(
      'uint64_t osrb_remote_start(int32_t channel, int32_t kind, uint64_t frame, const char* agent, const char* a0, const char* a1, const char* a2)',
    ),
    remoteTaken: library.func('int32_t osrb_remote_taken(int32_t channel, uint64_t id)'),
    channelClose: library.func('void osrb_channel_close(int32_t channel)'),
    channelAttach: library.func('int32_t osrb_channel_attach(int32_t fd, int32_t wake_fd)'),
    channelServe: library.func('int32_t osrb_channel_serve(int32_t channel, int32_t plugin, void* invoke_fn, void* route_fn, void* free_fn, void* ctx)'),
    channelTakeHeld: library.func('void* osrb_channel_take_held(uint64_t id, _Out_ uint64_t* bytes)'),
    symbol: library.func('void* osrb_symbol(void* handle, const char* name)'),
  };
}
type BridgeSymbols = ReturnType<typeof bindBridgeSymbols>;

/** An opaque handle to a parked host call; answer it exactly once. */
export type HostCallRequest = bigint;

/** A host callback made by a plugin, waiting for its answer. */
export interface HostCallEvent {
  /** The plugin slot (table) the call came through: identifies the plugin (D3). */
  pluginSlot: number;
  slot: HostSlotName;
  /** `level` for log/log_structured, otherwise 0. */
  intArg: number;
  /** The frame the calling thread is running for this plugin, or 0 on any other thread. */
  frameId: number;
  /** The C string arguments in order, decoded on first read; null for NULL pointers. */
  readonly args: [string | null, string | null, string | null];
  /**
   * One C string argument, decoded on first read (invalid UTF-8 becomes U+FFFD): an argument the host
   * refuses for its size is never copied into a JS string. Valid until the call is answered.
   */
  readArg(index: number): string | null;
  /** Which arguments are NULL pointers, known without decoding any. */
  argIsNull: [boolean, boolean, boolean];
  /** Each argument's UTF-8 byte length, measured on the calling thread (0 for NULL). */
  argBytes: [number, number, number];
  /** Each argument's deepest `[`/`{` nesting outside JSON strings, measured on the calling thread. */
  argDepths: [number, number, number];
  /** complete_stream only: whether the plugin passed an on_chunk callback. */
  hasOnChunk: boolean;
  request: HostCallRequest;
}

/**
 * Handles host calls for one plugin slot; must eventually call `bridge.reply` once per event. For a
 * queued slot (log, log_structured) the plugin's thread is not waiting and the reply only frees the call.
 */
export type HostCallHandler = (event: HostCallEvent) => void;

/** A host call the bridge answered on the plugin's thread; JS only records it. */
export interface AnsweredHostCall {
  pluginSlot: number;
  slot: HostSlotName;
  /** The frame the calling thread was running for this plugin, or 0 on any other thread. */
  frameId: number;
  /** The C string arguments in order (a slot server's slots; all null for get_active_agent_id), null for NULL. */
  args: [string | null, string | null, string | null];
  /** Each argument's UTF-8 byte length (0 for NULL). */
  argBytes: [number, number, number];
  /** What the plugin got back. */
  response: string | null;
  startedAt: Date;
  durationMs: number;
}

/** In a plugin process: a call from the host's remote-call channel began or ended (see `NativeBridge.createRemoteChannel`). */
export interface RemoteFrameEvent {
  opened: boolean;
  frameId: number;
  /** Which plugin function the call runs. */
  call: 'invoke' | 'handleRoute';
  /** The agent the host started the call for (opened only). */
  agentId: string | null;
  /** Closed only: the call made host calls, and the host waits to hear that this process reported them all. */
  hostCallsFollow: boolean;
}

export interface AttachOptions {
  /** Records the host calls the bridge answered itself. */
  onAnswered?: (call: AnsweredHostCall) => void;
  /** Learns the frames of calls the host made through a remote-call channel this slot serves. */
  onRemoteFrame?: (event: RemoteFrameEvent) => void;
  /**
   * get_active_agent_id answers the agent the frame was started with (`BridgeCall.agentId`) on the
   * calling thread, NULL on threads that run no frame; otherwise the handler serves it.
   */
  answerFromFrame?: boolean;
}

export interface BridgeCall {
  kind: BridgeCallKindName;
  pluginSlot: number;
  frameId?: number;
  /** The frame's agent, answered by get_active_agent_id on the call's thread (see `AttachOptions.answerFromFrame`). */
  agentId?: string | null;
  fn?: bigint | null;
  freeFn?: bigint | null;
  pointer?: bigint | null;
  args?: [string | null, (string | null)?, (string | null)?];
  intArg?: number;
  maxStringBytes?: number;
}

/** What a plugin call produced once its thread returned. */
export interface BridgeCallResult {
  pointer: bigint | null;
  /** The returned string, copied and decoded (invalid UTF-8 becomes U+FFFD); null for NULL. */
  text: string | null;
  /** Byte length of the returned string before decoding. */
  textBytes: number;
  /** The plugin returned a string larger than the call's limit (or too large to copy); `text` is null. */
  tooLarge: boolean;
  /** Set for a `load` the dynamic linker refused; `text` holds its reason. */
  failed: boolean;
  /** Remote calls: the call made host calls, which its plugin process reports after this answer (see `RemoteFrameEvent`). */
  hostCallsFollow?: boolean;
}

export interface BridgePoolStats {
  threads: number;
  idle: number;
  busy: number;
  queued: number;
}

/**
 * The process-wide native bridge. Plugin calls run on its threads; host
 * callbacks arrive as events and are answered with `reply`. The C side is
 * process-global state, so there is exactly one instance, owned by the
 * thread that first opens it.
 */
export class NativeBridge {
  /** The process's bridge: one per process even when both of this package's builds are loaded. */
  static open(): NativeBridge {
    return processWide('bridge', () => new NativeBridge());
  }

  readonly libraryPath: string;
  readonly maxPluginSlots: number;
  /** A slot never attached: a released host table points at its trampolines, which answer NULL. */
  readonly retiredSlot: number;
  private readonly symbols: BridgeSymbols;
  private readonly eventBuffer: Buffer;
  private readonly eventView: DataView;
  private readonly readEvent = bridgeEventReader();
  private readonly wakeSocket: net.Socket;
  private readonly calls = new Map<number, { resolve: (r: BridgeCallResult) => void; maxBytes: number }>();
  private readonly chunkWaiters = new Map<bigint, () => void>();
  private readonly handlers = new Map<number, HostCallHandler>();
  private readonly recorders = new Map<number, (call: AnsweredHostCall) => void>();
  private readonly remoteFrameListeners = new Map<number, (event: RemoteFrameEvent) => void>();
  private drainScheduled = false;
  /** Released slots are reused oldest-first, so a stale table pointer rarely meets a new plugin. */
  private readonly freeSlots: number[];

  private constructor() {
    let library: LibraryHandle;
    try {
      this.libraryPath = ensureBridgeLibrary();
      library = koffi.load(this.libraryPath);
    } catch (cause) {
      throw new AbiError(
        (cause as { code?: string }).code === 'native_build_failed' ? 'native_build_failed' : 'bridge_unavailable',
        `The native call bridge (${bridgeLibraryPath()}) is not usable: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.symbols = bindBridgeSymbols(library);
    this.maxPluginSlots = this.symbols.maxPlugins() as number;
    this.retiredSlot = this.symbols.retiredSlot() as number;
    this.freeSlots = Array.from({ length: this.maxPluginSlots }, (_, index) => index);
    this.eventBuffer = Buffer.alloc(koffi.sizeof(BridgeEventStruct));
    this.eventView = new DataView(this.eventBuffer.buffer, this.eventBuffer.byteOffset, this.eventBuffer.byteLength);
    const fd = this.symbols.open() as number;
    if (fd < 0) throw new AbiError('bridge_unavailable', 'The native call bridge could not create its wake-up pipe; check the process file-descriptor limit.');
    this.wakeSocket = new net.Socket({ fd, readable: true, writable: false });
    this.wakeSocket.on('data', () => this.drainEvents());
    this.wakeSocket.unref();
  }

  /** Reserves a plugin slot (one host table's worth of trampolines) for `handler`. */
  attach(handler: HostCallHandler, options: AttachOptions = {}): number {
    const slot = this.freeSlots.shift();
    if (slot === undefined) {
      throw new AbiError(
        'plugin_slots_exhausted',
        `All ${this.maxPluginSlots} native plugin slots are in use; unload a plugin before loading another.`,
      );
    }
    this.symbols.nextGeneration(slot);
    this.symbols.answerFromFrame(slot, options.answerFromFrame ? 1 : 0);
    this.handlers.set(slot, handler);
    if (options.onAnswered) this.recorders.set(slot, options.onAnswered);
    if (options.onRemoteFrame) this.remoteFrameListeners.set(slot, options.onRemoteFrame);
    this.updateLiveness();
    return slot;
  }

  /**
   * Frees a plugin slot. Host calls from its former owner's threads are
   * answered NULL from now on, even after the slot has a new owner (the C
   * side checks the caller's owner generation).
   */
  detach(pluginSlot: number): void {
    if (!this.handlers.delete(pluginSlot)) return;
    this.recorders.delete(pluginSlot);
    this.remoteFrameListeners.delete(pluginSlot);
    this.symbols.nextGeneration(pluginSlot);
    this.symbols.answerFromFrame(pluginSlot, 0);
    this.stopServingOnServer(pluginSlot);
    this.stopCachingConfigAnswers(pluginSlot);
    this.freeSlots.push(pluginSlot);
    this.updateLiveness();
  }

  /** The C function to store in `slot` of the table for `pluginSlot`. */
  trampoline(pluginSlot: number, slot: HostSlotName): bigint | null {
    return this.symbols.trampoline(pluginSlot, HOST_SLOTS.findIndex((s) => s.name === slot) + 1) as bigint | null;
  }

  /** Looks a symbol up in a library the bridge loaded. */
  symbol(handle: bigint, name: string): bigint | null {
    return this.symbols.symbol(handle, name) as bigint | null;
  }

  /** Runs one plugin call on a bridge thread. */
  call(call: BridgeCall): Promise<BridgeCallResult> {
    const [a0 = null, a1 = null, a2 = null] = call.args ?? [];
    const id = this.symbols.start(
      BridgeCallKind[call.kind],
      call.pluginSlot,
      call.frameId ?? 0,
      call.agentId ?? null,
      call.fn ?? null,
      call.freeFn ?? null,
      call.pointer ?? null,
      a0,
      a1,
      a2,
      call.intArg ?? 0,
    ) as number;
    if (id === 0) {
      return Promise.reject(new AbiError('call_failed', 'The native bridge could not start a thread for the plugin call; the system is out of threads or memory.'));
    }
    return this.awaitCall(id, call.maxStringBytes);
  }

  /** Resolves with the outcome of call `id` once its CALL_DONE event arrives. */
  private awaitCall(id: number, maxStringBytes = DEFAULT_MAX_PLUGIN_STRING_BYTES): Promise<BridgeCallResult> {
    return new Promise((resolve) => {
      this.calls.set(id, { resolve, maxBytes: maxStringBytes });
      this.updateLiveness();
    });
  }

  /** Reserves the queue of a slot server (see `SlotServerQueue`), whose thread the caller starts. */
  openServerQueue(): number {
    const server = this.symbols.serverOpen() as number;
    if (server < 0) throw new AbiError('call_failed', 'Every slot-server queue of the native bridge is in use; stop a slot server before starting another.');
    return server;
  }

  /** Makes the server's thread return from `SlotServerQueue.next` with a `stop` entry, after the entries queued before. */
  stopServerQueue(server: number): void {
    this.symbols.serverStop(server);
  }

  /** Frees a server's queue once its thread stopped; calls still queued are answered NULL. */
  closeServerQueue(server: number): void {
    this.symbols.serverClose(server);
  }

  /**
   * Hands `pluginSlot`'s calls of `serving.slots` (slot-server slots: db_exec, db_query, file_read) to
   * `server`, which answers them on its own thread and learns the plugin's id first. Calls the handler would
   * refuse (an argument over `maxArgumentBytes` or, for JSON, nested deeper than `maxArgumentDepth`; a NULL
   * first argument; an abandoned frame), and the other slot-server slots, still go to the host-call handler.
   */
  serveOnServer(pluginSlot: number, server: number, pluginId: string, serving: SlotServerServing): void {
    this.symbols.serveOnServer(pluginSlot, server, pluginId, serving.maxArgumentBytes, serving.maxArgumentDepth, slotServerMask(serving.slots));
  }

  /** Hands `pluginSlot`'s slot-server slots back to the host-call handler; its server is told to forget the slot. */
  stopServingOnServer(pluginSlot: number): void {
    this.symbols.serveOnServer(pluginSlot, -1, null, 0, 0, 0n);
  }

  /**
   * Lets the bridge keep `pluginSlot`'s config_get answers (`keepConfigAnswer`) and answer them on the
   * calling thread while the 8-byte change marker at `markerPath` stays as it was when each was read.
   * Every config write must rewrite the marker (config-keychain's `ConfigStore` with `changeMarkerPath`
   * does). The file and its directory are created if missing. False when they cannot be created or
   * opened: config_get is then served by the handler. While the file is short or missing nothing is
   * answered or kept, and a file replaced at the path is followed within a millisecond.
   */
  cacheConfigAnswers(pluginSlot: number, markerPath: string): boolean {
    try {
      mkdirSync(dirname(markerPath), { recursive: true });
    } catch {
      return false;
    }
    return this.symbols.configCacheOpen(pluginSlot, markerPath) === 1;
  }

  /** Drops `pluginSlot`'s kept config answers; config_get is served by the handler again. */
  stopCachingConfigAnswers(pluginSlot: number): void {
    this.symbols.configCacheClose(pluginSlot);
  }

  /** The change marker as `pluginSlot`'s cache sees it; take it before reading the store, and pass it to `keepConfigAnswer`. */
  configMarker(pluginSlot: number): bigint {
    return BigInt(this.symbols.configCacheMarker(pluginSlot) as number | bigint);
  }

  /**
   * Keeps what config_get answered for (agentId, key), read from the store under `marker`; `value`
   * null means "no value". Ignored when the marker has moved since, so a read that raced a write is never kept.
   */
  keepConfigAnswer(pluginSlot: number, agentId: string, key: string, value: string | null, marker: bigint): void {
    this.symbols.configCacheKeep(pluginSlot, agentId, key, value, marker);
  }

  /** From now on, get_active_agent_id answers NULL on the threads still running calls of `frameId`. */
  abandonFrame(frameId: number): void {
    this.symbols.abandonFrame(frameId);
  }

  /**
   * Host side of a remote-call channel: shared memory through which a plugin process answers `callRemote`
   * below JS. The process must inherit `fd` (the mapping) and `wakeFd` (this bridge's wake-up pipe) and
   * attach them (`attachRemoteChannel`); close `fd` here once it has, never `wakeFd`. Null where the bridge
   * has none (outside Linux) or the system refuses one.
   */
  createRemoteChannel(): { channel: number; fd: number; wakeFd: number } | null {
    const out = [0, 0];
    const channel = this.symbols.channelCreate(out) as number;
    return channel < 0 ? null : { channel, fd: out[0] as number, wakeFd: out[1] as number };
  }

  /**
   * Runs the plugin process's `invoke` (or `handleRoute`) through `channel`, in frame `frameId` with its agent.
   * Null when the channel cannot take the call now (closed, every slot in use, strings over the slot size):
   * send it another way. A call whose process exits resolves `failed`; `taken()` tells whether the process
   * took the call from its slot yet.
   */
  callRemote(
    channel: number,
    call: { kind: 'invoke' | 'handleRoute'; frameId: number; agentId: string | null; args: [string, string?, string?]; maxStringBytes?: number },
  ): { answer: Promise<BridgeCallResult>; taken: () => boolean } | null {
    const [a0, a1 = null, a2 = null] = call.args;
    const id = this.symbols.remoteStart(channel, BridgeCallKind[call.kind], call.frameId, call.agentId, a0, a1, a2) as number;
    if (id === 0) return null;
    return { answer: this.awaitCall(id, call.maxStringBytes), taken: () => this.symbols.remoteTaken(channel, id) === 1 || !this.calls.has(id) };
  }

  /** The channel's process is gone: remote calls still waiting on it finish `failed`; the channel is freed. */
  closeRemoteChannel(channel: number): void {
    this.symbols.channelClose(channel);
  }

  /** Plugin-process side: maps the channel the host passed as `fd` (closed here), answering through the host's pipe `wakeFd`; null if it is not one. */
  attachRemoteChannel(fd: number, wakeFd: number): number | null {
    const channel = this.symbols.channelAttach(fd, wakeFd) as number;
    return channel < 0 ? null : channel;
  }

  /**
   * Plugin-process side: calls from the host on `channel` run `invoke` (and `handleRoute`, when given) of
   * the plugin in `pluginSlot` on bridge threads from now on. False if the serving thread could not start.
   */
  serveRemoteChannel(channel: number, pluginSlot: number, functions: { invoke: bigint | null; handleRoute: bigint | null; freeString: bigint | null; ctx: bigint | null }): boolean {
    return this.symbols.channelServe(channel, pluginSlot, functions.invoke, functions.handleRoute, functions.freeString, functions.ctx) === 1;
  }

  /**
   * Plugin-process side: an answer too large for its channel slot, which the host's call got as a
   * handle (`BridgeCallResult.pointer`); `text` is null when the handle is unknown or `tooLarge` for `maxBytes`.
   */
  takeHeldAnswer(handle: bigint, maxBytes = DEFAULT_MAX_PLUGIN_STRING_BYTES): { text: string | null; tooLarge: boolean } {
    const bytes = [0n];
    const pointer = this.symbols.channelTakeHeld(handle, bytes) as bigint | null;
    if (pointer === null) return { text: null, tooLarge: false };
    const length = Number(bytes[0]);
    if (length <= maxBytes) return { text: this.takeString(pointer, length), tooLarge: false };
    this.symbols.free(pointer);
    return { text: null, tooLarge: true };
  }

  /** Answers a parked host call; `result` is copied into malloc'd memory the plugin owns (D4). */
  reply(request: HostCallRequest, result: string | null): void {
    this.symbols.reply(request, result);
  }

  /** Runs the plugin's on_chunk(chunk) on the thread parked in complete_stream; resolves once it returned. */
  runChunk(request: HostCallRequest, chunk: string): Promise<void> {
    return new Promise((resolve) => {
      this.chunkWaiters.set(request, resolve);
      this.symbols.runChunk(request, chunk);
    });
  }

  poolStats(): BridgePoolStats {
    const out = new Int32Array(4);
    this.symbols.poolStats(out);
    return { threads: out[0]!, idle: out[1]!, busy: out[2]!, queued: out[3]! };
  }

  /** Calls still running on bridge threads (including abandoned ones). */
  get callsInFlight(): number {
    return this.calls.size;
  }

  // Keeps the event loop alive while a plugin may still call back from one of its threads.
  private updateLiveness(): void {
    if (this.handlers.size > 0 || this.calls.size > 0) this.wakeSocket.ref();
    else this.wakeSocket.unref();
  }

  private drainEvents(): void {
    // Plugin threads that do not wait (queued calls, records) can post without end: after a batch the
    // event loop gets its turn, and the rest follows on the next (no new wake-up byte comes while events wait).
    for (let taken = 0; taken < EVENTS_PER_TURN; taken++) {
      if (this.symbols.nextEvent(this.eventBuffer) !== 1) {
        this.updateLiveness();
        return;
      }
      const event = this.readEvent(this.eventView);
      if (event.kind === BridgeEventKind.hostCall) this.dispatchHostCall(event);
      else if (event.kind === BridgeEventKind.hostCallAnswered) this.recordAnsweredCall(event);
      else if (event.kind === BridgeEventKind.callDone) this.completeCall(event);
      else if (event.kind === BridgeEventKind.frameOpened || event.kind === BridgeEventKind.frameClosed) this.reportRemoteFrame(event);
      else if (event.kind === BridgeEventKind.chunkDone && event.request !== null) {
        const resolve = this.chunkWaiters.get(event.request);
        this.chunkWaiters.delete(event.request);
        resolve?.();
      }
    }
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drainEvents();
    });
  }

  /** Decodes `bytes` of a string the bridge allocated (invalid UTF-8 becomes U+FFFD), then frees it. */
  private takeString(pointer: bigint, bytes: number): string {
    const text = koffi.decode(pointer, 'char', bytes) as string;
    this.symbols.free(pointer);
    return text;
  }

  /** The event's `text`, taken (decoded and freed); null when it has none. */
  private takeEventText(event: RawBridgeEvent): string | null {
    return event.has_text === 1 && event.text !== null ? this.takeString(event.text, event.text_len) : null;
  }

  private reportRemoteFrame(event: RawBridgeEvent): void {
    const agentId = this.takeEventText(event);
    try {
      this.remoteFrameListeners.get(event.plugin)?.({
        opened: event.kind === BridgeEventKind.frameOpened,
        frameId: event.frame_id,
        call: event.slot === BridgeCallKind.handleRoute ? 'handleRoute' : 'invoke',
        agentId,
        hostCallsFollow: event.kind === BridgeEventKind.frameClosed && event.int_arg === 1,
      });
    } catch {
      // As for records: a failing listener never loses the events after it.
    }
  }

  private recordAnsweredCall(event: RawBridgeEvent): void {
    const response = this.takeEventText(event);
    const args: [string | null, string | null, string | null] = [null, null, null];
    for (const [index, pointer] of [event.arg0, event.arg1, event.arg2].entries()) {
      if (pointer !== null) args[index] = this.takeString(pointer, event.arg_bytes[index]!);
    }
    const slot = HOST_SLOTS[event.slot - 1]?.name;
    const record = this.recorders.get(event.plugin);
    if (!slot || !record) return;
    const durationMs = event.duration_ns / 1e6;
    const ageMs = Number(process.hrtime.bigint() - BigInt(event.started_ns)) / 1e6;
    try {
      record({
        pluginSlot: event.plugin,
        slot,
        frameId: event.frame_id,
        args,
        argBytes: event.arg_bytes.map(Number) as [number, number, number],
        response,
        startedAt: new Date(Date.now() - ageMs),
        durationMs,
      });
    } catch {
      // A failing recorder loses one record, never the events after it.
    }
  }

  private dispatchHostCall(event: RawBridgeEvent): void {
    const request = event.request as bigint;
    const handler = this.handlers.get(event.plugin);
    const slot = HOST_SLOTS[event.slot - 1]?.name;
    if (!handler || !slot) {
      this.reply(request, null);
      return;
    }
    const pointers = [event.arg0, event.arg1, event.arg2];
    const argBytes = event.arg_bytes.map(Number) as [number, number, number];
    const decoded: (string | null | undefined)[] = [undefined, undefined, undefined];
    const readArg = (index: number): string | null => {
      const pointer = pointers[index];
      if (pointer === null || pointer === undefined) return null;
      decoded[index] ??= koffi.decode(pointer, 'char', argBytes[index]!) as string;
      return decoded[index];
    };
    try {
      handler({
        pluginSlot: event.plugin,
        slot,
        intArg: event.int_arg,
        frameId: event.frame_id,
        get args(): [string | null, string | null, string | null] {
          return [readArg(0), readArg(1), readArg(2)];
        },
        readArg,
        argIsNull: pointers.map((pointer) => pointer === null) as [boolean, boolean, boolean],
        argBytes,
        argDepths: event.arg_depth as [number, number, number],
        hasOnChunk: event.on_chunk !== null,
        request,
      });
    } catch {
      // A handler that throws must not leave the plugin thread parked forever.
      this.reply(request, null);
    }
  }

  private completeCall(event: RawBridgeEvent): void {
    const waiter = this.calls.get(event.call_id);
    this.calls.delete(event.call_id);
    let text: string | null = null;
    let tooLarge = false;
    if (event.has_text === 1) {
      tooLarge = event.text === null || event.text_len > (waiter?.maxBytes ?? DEFAULT_MAX_PLUGIN_STRING_BYTES);
      if (!tooLarge) text = this.takeString(event.text as bigint, event.text_len);
      else if (event.text !== null) this.symbols.free(event.text);
    }
    waiter?.resolve({
      pointer: event.pointer_result,
      text,
      textBytes: event.text_len,
      tooLarge,
      failed: event.failed === 1,
      ...(event.int_arg === 1 ? { hostCallsFollow: true } : {}),
    });
  }
}
