import { type ChildProcess, execFile, fork } from 'node:child_process';
import { closeSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AbiError, type AbiErrorCode, type BridgeCallResult, DEFAULT_HOST_ABI_LEVEL, DEFAULT_MAX_PLUGIN_STRING_BYTES, type HostAbiLevel, NativeBridge } from '@osr-host/abi-struct';
import { builtEntry } from '../built-entry.js';
import { RuntimeError, type RuntimeErrorCode } from '../errors.js';
import type { RuntimeEvents } from '../events.js';
import { answerFrameAgent, type FrameKind, type HostApi, type HostCallContext } from '../host-api.js';
import {
  type CallOptions,
  type CallOutcome,
  cancelledOutcome,
  DEFAULT_TIMEOUTS,
  gaveUp,
  type LoadPluginOptions,
  outcomeOf,
  outcomeWithin,
  type PluginTimeouts,
  toolResult,
  unsendableOutcome,
} from '../plugin.js';
import type { PluginInstance } from '../plugin-instance.js';
import {
  type HeldAnswer,
  type HeldAnswerRequest,
  type HostCallRequest,
  type HostCallWire,
  hostCallFromWire,
  type KeptConfigAnswer,
  type LoadRequest,
  type LoadResponse,
  type RemoteFrame,
} from './protocol.js';
import { RemoteError, RpcPeer } from './rpc.js';

export interface IsolationOptions {
  /** Environment variables passed to the plugin process on top of the allow-list. */
  passEnv?: string[];
  /** This many crashes (or hangs) within `crashWindowMs` quarantine the plugin. Default 3. */
  maxCrashes?: number;
  /** Default 60 s. */
  crashWindowMs?: number;
  /** How long past a call's own deadline the process may stay silent before it counts as hung. Default 5 s. */
  hangGraceMs?: number;
  /** The plugin's data directory, its `HOME` and `TMPDIR` (created if missing); without one neither is set. */
  dataDirectory?: string | ((pluginId: string) => string);
  /**
   * Resident memory the process may use before it is killed, which counts toward quarantine like a
   * crash. Default 1 GiB (`DEFAULT_MEMORY_LIMIT_BYTES`); 0 turns the check off.
   */
  memoryLimitBytes?: number;
  /** How often the process's resident memory is read. Default 1 s. */
  memoryCheckIntervalMs?: number;
}

export type IsolatedPluginOptions = LoadPluginOptions & IsolationOptions;

let lastCancelToken = 0;

/**
 * Frames of remote calls are numbered by the host, from here up, apart from the frames the plugin process
 * numbers itself from 1 (both meet in its bridge and its runtime).
 */
const FIRST_REMOTE_FRAME_ID = 2 ** 40;
/** Reports of remote calls' host calls kept while their answer has not arrived yet, at most. */
const MAX_EARLY_REPORTS = 1024;
let lastRemoteFrameId = FIRST_REMOTE_FRAME_ID;

/** A plugin process serving invokes and routes on a remote-call channel, below JS (P191). */
interface RemoteChannel {
  child: ChildProcess;
  channel: number;
  /** Rejects each call still waiting when the process exits, with the message its IPC calls get. */
  waiting: Set<(error: Error) => void>;
}

/** `work`, failed with the process's exit message if the channel's process exits first. */
function untilExit<T>(channel: RemoteChannel, work: Promise<T>): Promise<T> {
  let fail: (error: Error) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => {
    fail = reject;
  });
  channel.waiting.add(fail);
  return Promise.race([work, exited]).finally(() => channel.waiting.delete(fail));
}

/** A call the channel can carry, the same as an IPC request beside it. */
interface RemoteCall {
  kind: 'invoke' | 'handleRoute';
  frame: FrameKind;
  agentId: string | null;
  args: [string, string?, string?];
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

export const DEFAULT_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;

/** Variables a plugin process inherits; everything else (tokens, keys, proxies, the host's PATH) stays with the host. */
const ENVIRONMENT_ALLOW_LIST = ['USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TZ'];

/** The system directories only: a plugin finds system tools, not whatever the operator's PATH adds. */
export const PLUGIN_PROCESS_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

/**
 * The environment of a plugin process: locale and user name from the host, `PATH` limited to the
 * system directories, `HOME` and `TMPDIR` at the plugin's data directory, and what the host names in
 * `passEnv` (which wins over all of these).
 */
export function pluginProcessEnvironment(passEnv: readonly string[] = [], dataDirectory?: string): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { PATH: PLUGIN_PROCESS_PATH };
  if (dataDirectory !== undefined) Object.assign(environment, { HOME: dataDirectory, TMPDIR: dataDirectory });
  for (const [name, value] of Object.entries(process.env)) {
    if (ENVIRONMENT_ALLOW_LIST.includes(name) || name.startsWith('LC_') || passEnv.includes(name)) environment[name] = value;
  }
  return environment;
}

/** Resident memory of a process in bytes, or undefined once it is gone. */
async function residentBytes(pid: number): Promise<number | undefined> {
  try {
    if (process.platform === 'linux') {
      const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
      return kilobytes === undefined ? undefined : Number(kilobytes) * 1024;
    }
    const output = await new Promise<string>((resolve, reject) =>
      execFile('ps', ['-o', 'rss=', '-p', String(pid)], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    return Number(output.trim()) * 1024 || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A plugin in a child process of its own (D21), running the same runtime as
 * in-process mode. A crash or hang costs only that process: calls in flight
 * get `unavailable`, the process restarts on the next call, and repeated
 * crashes quarantine the plugin. A process left holding calls that timed out
 * is replaced once its other calls are done, and one over its memory limit is
 * killed like a crash.
 */
export class IsolatedPlugin implements PluginInstance {
  readonly isolated = true;
  readonly id: string;
  readonly path: string;
  readonly hostLevel: HostAbiLevel;
  manifestText = '';
  abi = 0;
  supportsRoutes = false;
  supportsConfigChanges = false;
  supportsTaskEvents = false;
  private readonly options: IsolatedPluginOptions;
  private readonly timeouts: PluginTimeouts;
  private readonly hostApi: HostApi;
  private readonly events: RuntimeEvents | undefined;
  private child: ChildProcess | undefined;
  private rpc: RpcPeer | undefined;
  private starting: Promise<void> | undefined;
  private terminationReason: string | undefined;
  private crashTimes: number[] = [];
  private quarantineReason: string | undefined;
  /** Whether a load ever finished: only then does a crash mean a restart on the next call. */
  private loadedOnce = false;
  private pendingCalls = 0;
  private abandonedCalls = 0;
  private shutdownDone: Promise<void> | undefined;
  private remote: RemoteChannel | undefined;
  /** Remote calls not yet answered or given up on: shutdown lets them finish before destroy, as in process. */
  private readonly remoteInFlight = new Set<Promise<unknown>>();
  /** Remote calls whose answer waits for the process to report their host calls, and reports that came first. */
  private readonly reportWaiters = new Map<number, () => void>();
  private readonly reportedFrames = new Set<number>();
  /** Set while a process with abandoned calls drains; new calls wait for its replacement. */
  private recycling: { child: ChildProcess; done: Promise<void>; finish: () => void } | undefined;

  private constructor(path: string, options: IsolatedPluginOptions) {
    this.id = options.pluginId;
    this.path = path;
    this.hostLevel = options.level ?? DEFAULT_HOST_ABI_LEVEL;
    this.options = options;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.hostApi = options.hostApi ?? {};
    this.events = options.events;
  }

  /** Starts the plugin process and loads the plugin there; load errors are the in-process ones. */
  static async load(path: string, options: IsolatedPluginOptions): Promise<IsolatedPlugin> {
    const plugin = new IsolatedPlugin(path, options);
    await plugin.start();
    return plugin;
  }

  get isShutDown(): boolean {
    return this.shutdownDone !== undefined;
  }

  stats(): { inFlight: number; abandoned: number } {
    return { inFlight: this.pendingCalls + this.abandonedCalls, abandoned: this.abandonedCalls };
  }

  /**
   * Whether invokes and route calls reach the running plugin process through its remote-call channel, below
   * its event loop (Linux), rather than as IPC messages (P191). Calls too large for a channel slot, and calls
   * beyond its slots, still go over IPC.
   */
  get remoteCalls(): boolean {
    return this.remote !== undefined && this.remote.child === this.child;
  }

  /** The plugin process id, while one runs. */
  get processId(): number | undefined {
    return this.child?.pid;
  }

  invoke(type: string, id: string, payload: string, options: CallOptions = {}): Promise<CallOutcome> {
    const { signal, ...sendable } = options;
    const timeoutMs = options.timeoutMs ?? this.timeouts.tool;
    const remote: RemoteCall = { kind: 'invoke', frame: 'invoke', agentId: options.agentId ?? null, args: [type, id, payload], timeoutMs, signal };
    const refused = unsendableOutcome([
      ['capability type', type],
      ['tool id', id],
      ['payload', payload],
    ]);
    if (refused) return Promise.resolve(refused);
    if (!signal) return this.outcomeCall('invoke', { type, id, payload, options: sendable }, timeoutMs, remote);
    // The child abandons its own IPC call (as on a timeout) when the caller cancels; a remote call, this side.
    const cancelToken = ++lastCancelToken;
    const cancel = () => void this.rpc?.request('cancel', { cancelToken }).catch(() => undefined);
    signal.addEventListener('abort', cancel, { once: true });
    return this.outcomeCall('invoke', { type, id, payload, options: sendable, cancelToken }, timeoutMs, remote).finally(() =>
      signal.removeEventListener('abort', cancel),
    );
  }

  async invokeTool(toolId: string, payload: string, options: CallOptions = {}): Promise<string> {
    return toolResult(toolId, await this.invoke('tool', toolId, payload, options), this.options.maxStringBytes);
  }

  handleRoute(requestJson: string, options: CallOptions = {}): Promise<CallOutcome> {
    const timeoutMs = options.timeoutMs ?? this.timeouts.route;
    const remote: RemoteCall = { kind: 'handleRoute', frame: 'route', agentId: options.agentId ?? null, args: [requestJson], timeoutMs, signal: undefined };
    const refused = unsendableOutcome([['route request', requestJson]]);
    if (refused) return Promise.resolve(refused);
    return this.outcomeCall('handleRoute', { requestJson, options }, timeoutMs, this.supportsRoutes ? remote : undefined);
  }

  async configChanged(key: string, value: string | null, options: CallOptions = {}): Promise<boolean> {
    if (!this.supportsConfigChanges) return false;
    const delivered = await this.call<boolean>('configChanged', { key, value, options }, options.timeoutMs ?? this.timeouts.delivery);
    return delivered === true;
  }

  async taskEvent(taskId: string, eventType: number, eventJson: string, options: CallOptions = {}): Promise<boolean> {
    if (!this.supportsTaskEvents) return false;
    const delivered = await this.call<boolean>('taskEvent', { taskId, eventType, eventJson, options }, options.timeoutMs ?? this.timeouts.delivery);
    return delivered === true;
  }

  /** Lets the plugin process drain and destroy the plugin, then ends it (killing it past the deadline). */
  shutdown(): Promise<void> {
    this.shutdownDone ??= (async () => {
      const child = this.child;
      const rpc = this.rpc;
      if (!child || !rpc) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const deadline = Math.max(this.timeouts.tool, this.timeouts.route, this.timeouts.delivery) + this.timeouts.destroy + this.graceMs;
      const watchdog = setTimeout(() => this.terminate(child, 'did not shut down in time'), deadline);
      try {
        // The process waits for its own calls before destroy; the remote ones only this side knows.
        await Promise.allSettled([...this.remoteInFlight]);
        await rpc.request('shutdown', null);
        child.disconnect();
      } catch {
        // The process is already gone.
      }
      await exited;
      clearTimeout(watchdog);
    })();
    return this.shutdownDone;
  }

  private get graceMs(): number {
    return this.options.hangGraceMs ?? 5_000;
  }

  private start(): Promise<void> {
    this.starting ??= this.spawnAndLoad().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawnAndLoad(): Promise<void> {
    const bridge = NativeBridge.open();
    const channel = bridge.createRemoteChannel();
    let child: ChildProcess;
    try {
      child = fork(builtEntry('plugin-process', 'plugin process'), [], {
        env: pluginProcessEnvironment(this.options.passEnv, this.dataDirectory()),
        // The plugin's own stdout and stderr go to the host's stderr: stdout may be a protocol (MCP, invoke output).
        // The remote-call channel and the bridge's wake-up pipe follow the IPC channel (REMOTE_CHANNEL_FD).
        stdio: ['ignore', 2, 2, 'ipc', ...(channel ? [channel.fd, channel.wakeFd] : [])],
        serialization: 'json',
        // Not the host's flags (inspector, loaders, export conditions): the child runs the built entry as is.
        execArgv: [],
      });
    } catch (error) {
      if (channel) bridge.closeRemoteChannel(channel.channel);
      throw error;
    } finally {
      if (channel) closeSync(channel.fd);
    }
    const rpc: RpcPeer = new RpcPeer(
      child,
      (method, params): unknown => this.serveChild(rpc, method, params),
      (name, payload) => this.forwardEvent(name, payload),
    );
    this.child = child;
    this.rpc = rpc;
    this.terminationReason = undefined;
    child.once('exit', (code, signal) => {
      if (channel) bridge.closeRemoteChannel(channel.channel);
      this.onExit(child, rpc, code, signal);
    });
    this.watchMemory(child);

    const request: LoadRequest = {
      path: this.path,
      pluginId: this.id,
      level: this.hostLevel,
      timeouts: this.timeouts,
      hostSlots: Object.keys(this.hostApi),
      answerFromFrame: this.hostApi.get_active_agent_id === answerFrameAgent,
      ...(this.options.maxStringBytes !== undefined ? { maxStringBytes: this.options.maxStringBytes } : {}),
      ...(this.options.configChangeMarker ? { configChangeMarker: this.options.configChangeMarker } : {}),
      remoteCalls: channel !== null,
    };
    const watchdog = setTimeout(() => this.terminate(child, `did not finish loading within ${this.timeouts.load / 1000}s`), this.timeouts.load + this.graceMs);
    let loaded: LoadResponse;
    try {
      loaded = await rpc.request<LoadResponse>('load', request);
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw loadError(error);
    } finally {
      clearTimeout(watchdog);
    }
    const { remoteCalls, ...facts } = loaded;
    Object.assign(this, facts);
    if (remoteCalls && channel) this.remote = { child, channel: channel.channel, waiting: new Set() };
    this.loadedOnce = true;
  }

  /**
   * Runs one request against the live process, starting it first if a crash stopped it; `remote`, the same
   * call, goes on the process's remote-call channel instead when it can take it.
   */
  private async call<T>(method: string, params: unknown, timeoutMs: number, remote?: RemoteCall): Promise<T | CallOutcome> {
    if (this.shutdownDone) return { kind: 'shut_down' };
    if (this.quarantineReason) return { kind: 'unavailable', message: this.quarantineReason };
    while (this.recycling) await this.recycling.done;
    if (this.shutdownDone) return { kind: 'shut_down' };
    this.pendingCalls++;
    try {
      // A process still loading has its channel already: wait for the load, not just the channel.
      if (!this.rpc || this.starting) {
        try {
          await this.start();
        } catch (error) {
          return { kind: 'unavailable', message: `Plugin '${this.id}' could not be restarted: ${(error as Error).message}` };
        }
      }
      const child = this.child!;
      const rpc = this.rpc!;
      const watchdog = setTimeout(() => this.terminate(child, `did not respond within ${Math.round((timeoutMs + this.graceMs) / 1000)}s`), timeoutMs + this.graceMs);
      try {
        const sentRemotely = remote && this.remote?.child === child ? this.callRemotely(this.remote, rpc, remote) : null;
        return await (sentRemotely ?? rpc.request<T>(method, params));
      } catch (error) {
        return { kind: 'unavailable', message: (error as Error).message };
      } finally {
        clearTimeout(watchdog);
      }
    } finally {
      this.pendingCalls--;
      this.recycleWhenIdle();
    }
  }

  private async outcomeCall(method: string, params: unknown, timeoutMs: number, remote?: RemoteCall): Promise<CallOutcome> {
    return (await this.call<CallOutcome>(method, params, timeoutMs, remote)) as CallOutcome;
  }

  /**
   * One call on the remote-call channel: the plugin process runs it on a bridge thread without its event
   * loop, and this side keeps the deadline, the cancellation and the abandoned-call accounting that the
   * process keeps for IPC calls (NativePlugin.call). Null when the channel cannot take the call now: send it over IPC.
   */
  private callRemotely(channel: RemoteChannel, rpc: RpcPeer, call: RemoteCall): Promise<CallOutcome> | null {
    if (call.signal?.aborted) return Promise.resolve(cancelledOutcome);
    const frameId = ++lastRemoteFrameId;
    const maxBytes = this.options.maxStringBytes ?? DEFAULT_MAX_PLUGIN_STRING_BYTES;
    const started = NativeBridge.open().callRemote(channel.channel, { kind: call.kind, frameId, agentId: call.agentId, args: call.args, maxStringBytes: maxBytes });
    if (!started) return null;
    // An exit while the call ran, or while its host calls or held answer were awaited, is the IPC calls' `unavailable`.
    const settled = untilExit(channel, this.remoteOutcome(rpc, frameId, started.answer, maxBytes)).catch(
      (error: Error): CallOutcome => ({ kind: 'unavailable', message: error.message }),
    );
    return this.superviseRemoteCall(rpc, call, frameId, settled, started.taken);
  }

  private async superviseRemoteCall(rpc: RpcPeer, call: RemoteCall, frameId: number, settled: Promise<CallOutcome>, taken: () => boolean): Promise<CallOutcome> {
    this.remoteInFlight.add(settled);
    let outcome = await outcomeWithin(settled, call.timeoutMs, call.signal);
    // A process that never took the call is not answering at all (stopped, or out of threads): as for an IPC call,
    // the watchdog ends it a grace period after the deadline.
    if (outcome.kind === 'timeout' && !taken()) outcome = await settled;
    this.remoteInFlight.delete(settled);
    if (!gaveUp(outcome)) return outcome;
    // The plugin's thread is still inside the call: its process refuses the frame's host calls from now on.
    // The events the process raises for its IPC calls, raised here: the same accounting and forwarding.
    const child = this.child;
    void rpc.request('abandonFrame', { frameId } satisfies RemoteFrame).catch(() => undefined);
    this.forwardEvent('callAbandoned', { pluginId: this.id, frame: call.frame, timeoutMs: call.timeoutMs });
    void settled.then(() => {
      // A process that is gone took its count of abandoned calls with it.
      if (child === this.child) this.forwardEvent('abandonedCallReturned', { pluginId: this.id, frame: call.frame });
    });
    return outcome;
  }

  /** A remote call's outcome, once the process reported the call's host calls; an answer too large for its slot is fetched. */
  private async remoteOutcome(rpc: RpcPeer, frameId: number, answer: Promise<BridgeCallResult>, maxBytes: number): Promise<CallOutcome> {
    const result = await answer;
    if (result.hostCallsFollow) await this.hostCallsReported(frameId);
    if (result.failed) return { kind: 'unavailable', message: `Plugin '${this.id}' could not be called: ${result.text ?? 'the plugin process has exited'}` };
    if (result.pointer === null) return outcomeOf(result);
    const held = await rpc.request<HeldAnswer>('heldAnswer', { handle: String(result.pointer), maxBytes } satisfies HeldAnswerRequest);
    if (held.tooLarge) return { kind: 'too_large', bytes: result.textBytes };
    return outcomeOf({ ...result, text: held.text });
  }

  /** Resolves once the plugin process reported every host call the remote call in `frameId` made (over IPC, in order). */
  private hostCallsReported(frameId: number): Promise<void> {
    if (this.reportedFrames.delete(frameId)) return Promise.resolve();
    return new Promise((resolve) => this.reportWaiters.set(frameId, resolve));
  }

  private dataDirectory(): string | undefined {
    const option = this.options.dataDirectory;
    const directory = typeof option === 'function' ? option(this.id) : option;
    if (directory !== undefined) mkdirSync(directory, { recursive: true });
    return directory;
  }

  /** Reads the process's resident memory every interval; over the limit, it is killed at once. */
  private watchMemory(child: ChildProcess): void {
    const limit = this.options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    if (limit <= 0 || child.pid === undefined) return;
    const pid = child.pid;
    let reading = false;
    const timer = setInterval(async () => {
      if (reading) return;
      reading = true;
      const resident = await residentBytes(pid);
      reading = false;
      if (resident !== undefined && resident > limit) {
        const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);
        this.terminate(child, `used ${megabytes(resident)} MB, over its memory limit of ${megabytes(limit)} MB`, 'SIGKILL');
      }
    }, this.options.memoryCheckIntervalMs ?? 1_000);
    timer.unref();
    child.once('exit', () => clearInterval(timer));
  }

  /**
   * A process holding calls that timed out (their threads still inside the plugin) is replaced once
   * nothing else runs in it: killed, not counted as a crash, and started afresh. Calls arriving
   * meanwhile wait for the new process.
   */
  private recycleWhenIdle(): void {
    const child = this.child;
    if (!child || this.shutdownDone) return;
    if (this.abandonedCalls === 0) {
      // The calls that timed out returned on their own: nothing is stuck, the process stays.
      if (this.recycling?.child === child) {
        this.recycling.finish();
        this.recycling = undefined;
      }
      return;
    }
    if (!this.recycling) {
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      this.recycling = { child, done, finish };
    }
    if (this.pendingCalls === 0 && this.recycling.child === child) child.kill('SIGKILL');
  }

  private terminate(child: ChildProcess, reason: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): void {
    if (child !== this.child || child.exitCode !== null || child.signalCode !== null) return;
    this.terminationReason = reason;
    child.kill(signal);
    // A process that ignores SIGTERM (or is stopped) gets SIGKILL two seconds later.
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, 2_000).unref();
  }

  private onExit(child: ChildProcess, rpc: RpcPeer, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) {
      this.child = undefined;
      this.rpc = undefined;
    }
    const remote = this.remote?.child === child ? this.remote : undefined;
    if (remote) {
      this.remote = undefined;
      this.reportWaiters.clear();
      this.reportedFrames.clear();
    }
    const failAll = (error: Error) => {
      rpc.failAll(error);
      for (const fail of remote?.waiting ?? []) fail(error);
    };
    const recycling = this.recycling?.child === child ? this.recycling : undefined;
    if (recycling) this.recycling = undefined;
    if (recycling && this.terminationReason === undefined && !this.shutdownDone) {
      const stuck = this.abandonedCalls;
      failAll(new Error(`Plugin '${this.id}' was restarted`));
      this.abandonedCalls = 0;
      this.events?.emit('pluginRecycled', {
        pluginId: this.id,
        message: `Plugin '${this.id}' held ${stuck} call(s) past their timeout; its helper process was terminated and replaced`,
      });
      // The replacement starts now, so the calls that waited (and the next ones) find it loaded.
      void this.start()
        .catch(() => undefined)
        .then(() => recycling.finish());
      return;
    }
    recycling?.finish();
    const expected = this.shutdownDone !== undefined && this.terminationReason === undefined;
    const message = this.terminationReason
      ? `Plugin '${this.id}' ${this.terminationReason}; its helper process was terminated and will restart on the next call`
      : this.loadedOnce
        ? `Plugin '${this.id}' crashed (${signal ?? `exit code ${code}`}); it restarts on the next call`
        : `Plugin '${this.id}' crashed (${signal ?? `exit code ${code}`}) while loading, so it is not loaded`;
    failAll(new Error(expected ? 'Plugin has been shut down' : message));
    this.abandonedCalls = 0;
    if (expected) return;
    this.events?.emit('pluginCrashed', { pluginId: this.id, signal, code, message });
    const now = Date.now();
    const window = this.options.crashWindowMs ?? 60_000;
    this.crashTimes = [...this.crashTimes.filter((time) => now - time < window), now];
    if (this.crashTimes.length >= (this.options.maxCrashes ?? 3)) {
      this.quarantineReason = `Plugin '${this.id}' is quarantined after ${this.crashTimes.length} crashes within ${window / 1000}s; reload it to try again.`;
      this.events?.emit('pluginQuarantined', { pluginId: this.id, message: this.quarantineReason });
    }
  }

  /** Requests from the plugin process: its host calls, answered by the host API in this process. */
  private serveChild(rpc: RpcPeer, method: string, params: unknown): unknown {
    if (method !== 'host') throw new Error(`unknown method ${method}`);
    const { slot, ctx, args, chunkToken, offersKeep } = params as HostCallRequest;
    const implementation = this.hostApi[slot as keyof HostApi] as ((context: HostCallContext, ...rest: unknown[]) => unknown) | undefined;
    if (!implementation) throw new Error(`the host does not implement ${slot}`);
    const context = ctx as HostCallContext;
    if (offersKeep) {
      let kept = false;
      context.keepAnswer = () => {
        kept = true;
      };
      return Promise.resolve(implementation.call(this.hostApi, context, ...args)).then((answer): KeptConfigAnswer => ({ answer, kept }));
    }
    if (slot === 'complete_stream') {
      const onChunk = chunkToken ? (chunk: string) => rpc.request<void>('chunk', { token: chunkToken, chunk }) : null;
      return implementation.call(this.hostApi, context, args[0], onChunk);
    }
    return implementation.call(this.hostApi, context, ...args);
  }

  /** A runtime event of the plugin process's calls: sent by the process for its IPC calls, raised here for remote ones. */
  private forwardEvent(name: string, payload: unknown): void {
    if (name === 'remoteHostCallsReported') {
      const { frameId } = payload as RemoteFrame;
      const waiter = this.reportWaiters.get(frameId);
      this.reportWaiters.delete(frameId);
      if (waiter) waiter();
      else {
        // Early only for calls in flight (32 slots at most); a process that reports more is not believed past this.
        this.reportedFrames.add(frameId);
        if (this.reportedFrames.size > MAX_EARLY_REPORTS) this.reportedFrames.delete(this.reportedFrames.values().next().value as number);
      }
      return;
    }
    if (name === 'callAbandoned') {
      this.abandonedCalls++;
      this.recycleWhenIdle();
    }
    if (name === 'abandonedCallReturned') {
      this.abandonedCalls = Math.max(0, this.abandonedCalls - 1);
      this.recycleWhenIdle();
    }
    if (!this.events) return;
    if (name === 'hostCall') {
      this.events.emit('hostCall', hostCallFromWire(payload as HostCallWire, this.id));
    } else if (name === 'callAbandoned' || name === 'abandonedCallReturned' || name === 'pluginError') {
      (this.events.emit as (event: string, value: unknown) => boolean)(name, payload);
    }
  }
}

/** The in-process error class for a load failure reported by (or killing) the plugin process. */
function loadError(error: unknown): Error {
  if (!(error instanceof RemoteError)) return new RuntimeError('init_failed', (error as Error)?.message ?? String(error), { cause: error });
  if (error.remoteName === 'AbiError') return new AbiError(error.code as AbiErrorCode, error.message, { cause: error });
  return new RuntimeError((error.remoteName === 'RuntimeError' ? error.code : 'init_failed') as RuntimeErrorCode, error.message, { cause: error });
}
