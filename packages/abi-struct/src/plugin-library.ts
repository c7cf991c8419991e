import koffi from 'koffi';
import { type AnsweredHostCall, type BridgeCall, type BridgeCallResult, type HostCallHandler, NativeBridge, type RemoteFrameEvent, type SlotServerServing } from './bridge.js';
import { AbiError } from './errors.js';
import {
  DEFAULT_HOST_ABI_LEVEL,
  ENTRY_SYMBOL_V1,
  ENTRY_SYMBOL_V2,
  type HostAbiLevel,
  PLUGIN_FIELDS,
  PluginApiStruct,
  PluginApiV1Struct,
  type PluginFunctionName,
} from './layout.js';
import { preflightLibraryFile, privateLibraryCopy } from './library-file.js';
import { buildHostTable, type HostTable, retireHostTable } from './table.js';

export interface OpenPluginOptions {
  /** Host ABI level to present (D1); default 6. */
  level?: HostAbiLevel;
  /** Answers the plugin's host callbacks. Without one, every host call returns NULL. */
  onHostCall?: HostCallHandler;
  /** Records the host calls the bridge answered on the plugin's thread (see `answerFromFrame`). */
  onAnsweredHostCall?: (call: AnsweredHostCall) => void;
  /** get_active_agent_id answers each call's `CallFrame.agentId` on the plugin's thread, not through `onHostCall`. */
  answerFromFrame?: boolean;
  /** In a plugin process: learns the frames of the host's calls through a remote-call channel (see `serveRemoteCalls`). */
  onRemoteFrame?: (event: RemoteFrameEvent) => void;
  /** Frame for the entry call (host calls made during it carry this frame id). */
  frameId?: number;
  /** Largest plugin string accepted (bytes); larger ones are refused, not decoded. */
  maxStringBytes?: number;
  /**
   * The slot-server slots named in `slots` (of db_exec, db_query, file_read) are answered by this slot
   * server, from the entry call on (see `NativeBridge.serveOnServer`); `onAnsweredHostCall` records them.
   * Without one, and for the other slots, `onHostCall` serves them.
   */
  slotServer?: SlotServerServing & { server: number; pluginId: string };
}

/** The frame a plugin call runs in: host calls from its thread carry the id, and get_active_agent_id may answer the agent. */
export interface CallFrame {
  id: number;
  agentId?: string | null;
}

const NO_FRAME: CallFrame = { id: 0 };

type PluginFunctions = Record<PluginFunctionName, bigint | null>;

const REQUIRED_FUNCTIONS = PLUGIN_FIELDS.filter((field) => field.required).map((field) => field.name);

/**
 * A plugin library that is loaded and entered, with its table validated, but
 * not yet initialised. Every method runs the plugin function on a bridge
 * thread and resolves when it returns.
 */
export class PluginLibrary {
  private constructor(
    readonly path: string,
    readonly bridge: NativeBridge,
    readonly pluginSlot: number,
    readonly hostTable: HostTable,
    /** Which entry symbol was used. */
    readonly entry: 'v1' | 'v2',
    /** Effective plugin ABI: max(api.version, 2) through the v2 entry, 1 through the v1 entry (D2). */
    readonly abi: number,
    /** The `version` field the plugin declared (0 for v1 tables). */
    readonly declaredVersion: number,
    readonly functions: Readonly<PluginFunctions>,
    private readonly maxStringBytes: number | undefined,
  ) {}

  /**
   * dlopen + entry resolution + table validation (ABI.md §4, D2). On failure
   * the plugin slot is released and an AbiError carries the loader's message.
   */
  static async open(path: string, options: OpenPluginOptions = {}): Promise<PluginLibrary> {
    const level = options.level ?? DEFAULT_HOST_ABI_LEVEL;
    const bridge = NativeBridge.open();
    const pluginSlot = bridge.attach(options.onHostCall ?? ((event) => bridge.reply(event.request, null)), {
      onAnswered: options.onAnsweredHostCall,
      answerFromFrame: options.answerFromFrame,
      onRemoteFrame: options.onRemoteFrame,
    });
    const server = options.slotServer;
    if (server) bridge.serveOnServer(pluginSlot, server.server, server.pluginId, server);
    try {
      return await PluginLibrary.enter(path, bridge, pluginSlot, level, options);
    } catch (error) {
      bridge.detach(pluginSlot);
      throw error;
    }
  }

  private static async enter(
    path: string,
    bridge: NativeBridge,
    pluginSlot: number,
    level: HostAbiLevel,
    options: OpenPluginOptions,
  ): Promise<PluginLibrary> {
    const hostTable = buildHostTable(bridge, pluginSlot, level);
    preflightLibraryFile(path);
    const copy = privateLibraryCopy(path);
    const loaded = await bridge.call({ kind: 'load', pluginSlot, args: [copy] });
    if (loaded.failed || loaded.pointer === null) {
      throw new AbiError('library_load_failed', `Failed to load plugin library: ${loaded.text?.replaceAll(copy, path) ?? path}`);
    }
    const entryV2 = bridge.symbol(loaded.pointer, ENTRY_SYMBOL_V2);
    const entryV1 = bridge.symbol(loaded.pointer, ENTRY_SYMBOL_V1);
    const frameId = options.frameId ?? 0;

    let entry: 'v1' | 'v2';
    let api: BridgeCallResult;
    if (entryV2 !== null && hostTable.address !== null) {
      entry = 'v2';
      api = await bridge.call({ kind: 'entryV2', pluginSlot, frameId, fn: entryV2, pointer: hostTable.address });
      if (api.pointer === null) throw new AbiError('null_plugin_api', 'Plugin v2 entry returned null API');
    } else if (entryV1 !== null) {
      entry = 'v1';
      api = await bridge.call({ kind: 'entryV1', pluginSlot, frameId, fn: entryV1 });
      if (api.pointer === null) throw new AbiError('null_plugin_api', 'Plugin entry returned null API');
    } else if (entryV2 !== null) {
      throw new AbiError(
        'missing_entry_point',
        `Plugin exports only ${ENTRY_SYMBOL_V2}, which needs host ABI level 2 or higher; this host runs at level 1.`,
      );
    } else {
      throw new AbiError('missing_entry_point', `Missing plugin entry point (${ENTRY_SYMBOL_V2} or ${ENTRY_SYMBOL_V1})`);
    }

    const table = koffi.decode(api.pointer, entry === 'v2' ? PluginApiStruct : PluginApiV1Struct) as Record<
      string,
      bigint | number | null
    >;
    const functions = Object.fromEntries(
      PLUGIN_FIELDS.filter((field) => field.name !== 'version').map((field) => [field.name, (table[field.name] as bigint | null) ?? null]),
    ) as PluginFunctions;
    const missing = REQUIRED_FUNCTIONS.filter((name) => functions[name as PluginFunctionName] === null);
    if (missing.length > 0) {
      throw new AbiError('missing_required_functions', `Plugin ABI table is missing required function(s): ${missing.join(', ')}`);
    }
    const declaredVersion = entry === 'v2' ? (table.version as number) : 0;
    const abi = entry === 'v2' ? Math.max(declaredVersion, 2) : 1;
    return new PluginLibrary(path, bridge, pluginSlot, hostTable, entry, abi, declaredVersion, functions, options.maxStringBytes);
  }

  /** `init()`; resolves to the plugin context (null means initialisation failed). */
  async init(frame = NO_FRAME): Promise<bigint | null> {
    return (await this.run({ kind: 'init', fn: this.functions.init, frame })).pointer;
  }

  /** `get_manifest(ctx)`: the copied string (the plugin's copy is released with its free_string). */
  getManifest(ctx: bigint | null, frame = NO_FRAME): Promise<BridgeCallResult> {
    return this.run({ kind: 'getManifest', fn: this.functions.get_manifest, pointer: ctx, frame, freeFn: this.functions.free_string });
  }

  /**
   * In a plugin process: the host's calls on remote-call `channel` (see `NativeBridge.attachRemoteChannel`) run this
   * plugin's `invoke`, and its `handle_route` when `routes`, with `ctx`. False if the channel could not be served.
   */
  serveRemoteCalls(channel: number, ctx: bigint | null, options: { routes: boolean }): boolean {
    return this.bridge.serveRemoteChannel(channel, this.pluginSlot, {
      invoke: this.functions.invoke,
      handleRoute: options.routes ? this.functions.handle_route : null,
      freeString: this.functions.free_string,
      ctx,
    });
  }

  /** `invoke(ctx, type, id, payload)`. */
  invoke(ctx: bigint | null, type: string, id: string, payload: string, frame = NO_FRAME): Promise<BridgeCallResult> {
    return this.run({
      kind: 'invoke',
      fn: this.functions.invoke,
      pointer: ctx,
      frame,
      freeFn: this.functions.free_string,
      args: [type, id, payload],
    });
  }

  /** `handle_route(ctx, request_json)`; callers check `functions.handle_route` and the ABI first. */
  handleRoute(ctx: bigint | null, requestJson: string, frame = NO_FRAME): Promise<BridgeCallResult> {
    return this.run({
      kind: 'handleRoute',
      fn: this.functions.handle_route,
      pointer: ctx,
      frame,
      freeFn: this.functions.free_string,
      args: [requestJson],
    });
  }

  /** `on_config_changed(ctx, key, value)`. */
  async configChanged(ctx: bigint | null, key: string, value: string | null, frame = NO_FRAME): Promise<void> {
    await this.run({ kind: 'configChanged', fn: this.functions.on_config_changed, pointer: ctx, frame, args: [key, value] });
  }

  /** `on_task_event(ctx, task_id, event_type, event_json)`. */
  async taskEvent(ctx: bigint | null, taskId: string, eventType: number, eventJson: string, frame = NO_FRAME): Promise<void> {
    await this.run({
      kind: 'taskEvent',
      fn: this.functions.on_task_event,
      pointer: ctx,
      frame,
      args: [taskId, eventJson],
      intArg: eventType,
    });
  }

  /** `destroy(ctx)`. */
  async destroy(ctx: bigint | null, frame = NO_FRAME): Promise<void> {
    await this.run({ kind: 'destroy', fn: this.functions.destroy, pointer: ctx, frame });
  }

  /**
   * Releases the plugin slot; host calls through the old table then get NULL,
   * also after the slot has a new owner. The library stays mapped: a plugin
   * thread may still be running its code.
   */
  release(): void {
    retireHostTable(this.bridge, this.hostTable);
    this.bridge.detach(this.pluginSlot);
  }

  /** Hands the slot-server slots back to `onHostCall` (from the start of teardown, which answers them itself). */
  stopServingOnServer(): void {
    this.bridge.stopServingOnServer(this.pluginSlot);
  }

  /** From now on, get_active_agent_id answers NULL on threads still running calls of `frame`. */
  abandonFrame(frame: CallFrame): void {
    this.bridge.abandonFrame(frame.id);
  }

  private run({ frame, ...call }: Omit<BridgeCall, 'pluginSlot' | 'frameId' | 'agentId'> & { frame: CallFrame }): Promise<BridgeCallResult> {
    if (call.fn === null || call.fn === undefined) {
      return Promise.reject(new AbiError('call_failed', `This plugin does not implement the ${call.kind} function.`));
    }
    return this.bridge.call({ ...call, pluginSlot: this.pluginSlot, frameId: frame.id, agentId: frame.agentId, maxStringBytes: this.maxStringBytes });
  }
}
