/**
 * The plugin process: loads one plugin with the same runtime as in-process
 * mode. Its host API forwards every slot the parent implements to the parent,
 * and its runtime events go back to the parent's event stream.
 */
import { HOST_SLOTS, NativeBridge } from '@osr-host/abi-struct';
import { RuntimeEvents } from '../events.js';
import { answerFrameAgent, type HostApi, type HostCallContext } from '../host-api.js';
import { type CallOptions, NativePlugin } from '../plugin.js';
import {
  type HeldAnswer,
  type HeldAnswerRequest,
  hostCallToWire,
  type KeptConfigAnswer,
  type LoadRequest,
  type LoadResponse,
  REMOTE_CHANNEL_FD,
  REMOTE_WAKE_FD,
  type RemoteFrame,
} from './protocol.js';
import { type IpcChannel, RpcPeer } from './rpc.js';

const channel = process as unknown as IpcChannel;
const chunkCallbacks = new Map<number, (chunk: string) => Promise<void>>();
/** Invokes the parent may cancel, by the token it sent with them. */
const cancellable = new Map<number, AbortController>();
let lastChunkToken = 0;
let plugin: NativePlugin | undefined;

/**
 * How long the process keeps polling after each message: about one fast plugin call and the parent's turn
 * around it, so back-to-back calls never wait for this process to wake up (P183).
 */
const KEEP_AWAKE_MS = 0.2;

const rpc = new RpcPeer(channel, async (method, params) => {
  const p = params as Record<string, unknown>;
  switch (method) {
    case 'load':
      return load(params as LoadRequest);
    case 'invoke': {
      const token = p.cancelToken as number | undefined;
      if (token === undefined) return loaded().invoke(p.type as string, p.id as string, p.payload as string, p.options as CallOptions);
      const controller = new AbortController();
      cancellable.set(token, controller);
      try {
        return await loaded().invoke(p.type as string, p.id as string, p.payload as string, { ...(p.options as CallOptions), signal: controller.signal });
      } finally {
        cancellable.delete(token);
      }
    }
    case 'cancel':
      cancellable.get(p.cancelToken as number)?.abort();
      return null;
    case 'abandonFrame':
      loaded().abandonRemoteFrame((params as RemoteFrame).frameId);
      return null;
    case 'heldAnswer': {
      const { handle, maxBytes } = params as HeldAnswerRequest;
      return NativeBridge.open().takeHeldAnswer(BigInt(handle), maxBytes) satisfies HeldAnswer;
    }
    case 'handleRoute':
      return loaded().handleRoute(p.requestJson as string, p.options as CallOptions);
    case 'configChanged':
      return loaded().configChanged(p.key as string, p.value as string | null, p.options as CallOptions);
    case 'taskEvent':
      return loaded().taskEvent(p.taskId as string, p.eventType as number, p.eventJson as string, p.options as CallOptions);
    case 'chunk':
      return chunkCallbacks.get(p.token as number)?.(p.chunk as string);
    case 'shutdown':
      await plugin?.shutdown();
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new Error(`unknown method ${method}`);
  }
}, undefined, { keepAwakeMs: KEEP_AWAKE_MS });

function loaded(): NativePlugin {
  if (!plugin) throw new Error('no plugin is loaded in this process');
  return plugin;
}

/** A host API with only the slots the parent implements, each forwarded to the parent. */
function forwardingHostApi(slots: readonly string[]): HostApi {
  const api: Record<string, unknown> = {};
  for (const slot of HOST_SLOTS.map((s) => s.name).filter((name) => slots.includes(name))) {
    api[slot] =
      slot === 'complete_stream'
        ? async (ctx: HostCallContext, request: string, onChunk: ((chunk: string) => Promise<void>) | null) => {
            const token = onChunk ? ++lastChunkToken : 0;
            if (onChunk) chunkCallbacks.set(token, onChunk);
            try {
              return await rpc.request('host', { slot, ctx, args: [request], chunkToken: token });
            } finally {
              chunkCallbacks.delete(token);
            }
          }
        : async (ctx: HostCallContext, ...args: unknown[]) => {
            const { keepAnswer, ...context } = ctx;
            if (!keepAnswer) return rpc.request('host', { slot, ctx: context, args });
            const { answer, kept } = await rpc.request<KeptConfigAnswer>('host', { slot, ctx: context, args, offersKeep: true });
            if (kept) keepAnswer();
            return answer;
          };
  }
  return api as HostApi;
}

async function load(request: LoadRequest): Promise<LoadResponse> {
  const events = new RuntimeEvents();
  events.on('hostCall', (record) => rpc.emit('hostCall', hostCallToWire(record)));
  for (const name of ['callAbandoned', 'abandonedCallReturned', 'pluginError'] as const) {
    events.on(name, (payload: unknown) =>
      rpc.emit(name, name === 'pluginError' ? { ...(payload as object), error: String((payload as { error: unknown }).error) } : payload),
    );
  }
  plugin = await NativePlugin.load(request.path, {
    pluginId: request.pluginId,
    level: request.level,
    timeouts: request.timeouts,
    maxStringBytes: request.maxStringBytes,
    ...(request.configChangeMarker ? { configChangeMarker: request.configChangeMarker } : {}),
    hostApi: request.answerFromFrame
      ? { ...forwardingHostApi(request.hostSlots), get_active_agent_id: answerFrameAgent }
      : forwardingHostApi(request.hostSlots),
    events,
  });
  const reportHostCalls = (frameId: number) => rpc.emit('remoteHostCallsReported', { frameId } satisfies RemoteFrame);
  const remoteCalls = request.remoteCalls === true && plugin.serveRemoteCalls(REMOTE_CHANNEL_FD, REMOTE_WAKE_FD, reportHostCalls);
  return {
    remoteCalls,
    manifestText: plugin.manifestText,
    abi: plugin.abi,
    supportsRoutes: plugin.supportsRoutes,
    supportsConfigChanges: plugin.supportsConfigChanges,
    supportsTaskEvents: plugin.supportsTaskEvents,
  };
}

// The parent going away ends this process: nothing else would ever call the plugin.
process.on('disconnect', () => process.exit(0));
