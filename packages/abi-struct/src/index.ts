export { AbiError, type AbiErrorCode } from './errors.js';
export {
  ABI_PROBE_KEY,
  DEFAULT_HOST_ABI_LEVEL,
  ENTRY_SYMBOL_V1,
  ENTRY_SYMBOL_V2,
  HOST_ABI_LEVELS,
  HOST_SLOTS,
  HostApiStruct,
  type HostAbiLevel,
  type HostSlotName,
  hostSlotIndex,
  hostSlotOffset,
  hostSlotPrototypes,
  hostSlotsAtLevel,
  hostTableSize,
  isHostAbiLevel,
  PLUGIN_FIELDS,
  PluginApiStruct,
  PluginApiV1Struct,
  type PluginFieldName,
  type PluginFunctionName,
  pluginFieldOffset,
  TASK_EVENT,
} from './layout.js';
export {
  type AnsweredHostCall,
  type AttachOptions,
  type BridgeCall,
  type BridgeCallKindName,
  type BridgeCallResult,
  type BridgePoolStats,
  DEFAULT_MAX_PLUGIN_STRING_BYTES,
  type HostCallEvent,
  type HostCallHandler,
  type HostCallRequest,
  NativeBridge,
  type RemoteFrameEvent,
  SLOT_SERVER_SLOTS,
  type SlotServerServing,
} from './bridge.js';
export { buildHostTable, type HostTable, readHostTable } from './table.js';
export { type CallFrame, type OpenPluginOptions, PluginLibrary } from './plugin-library.js';
export { type SlotServerEntry, SlotServerQueue } from './slot-server-queue.js';
