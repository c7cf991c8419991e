import { Worker } from 'node:worker_threads';
import { type HostSlotName, NativeBridge, SLOT_SERVER_SLOTS } from '@osr-host/abi-struct';
import { builtEntry } from './built-entry.js';
import { RuntimeError } from './errors.js';
import type { RuntimeEvents } from './events.js';

/**
 * What a slot handler's module makes: the synchronous service behind some slot-server slots (db_exec,
 * db_query, file_read), run on the server's own thread. `@osr-host/storage`'s `createDatabaseSlotHandler`
 * and `@osr-host/net`'s `createFileReadSlotHandler` are two.
 */
export interface SlotHandler {
  /** The slot's answer to one call from plugin `pluginId`, or null for NULL; run on the server's thread. */
  serve(pluginId: string, slot: string, args: [string | null, string | null, string | null]): string | null;
  /** No more calls come from `pluginId` (it was unloaded): release what it holds (its connection). */
  forget?(pluginId: string): void;
  /** The server stops. */
  close?(): void;
}

/** Where a server's thread finds one handler, and the slots it answers. */
export interface SlotHandlerModule {
  /** The module (a URL or absolute path) whose export `exportName` makes the handler: `(options) => SlotHandler`. */
  module: string | URL;
  exportName: string;
  /** Passed to the export on each thread; must survive structured cloning. */
  handlerOptions?: unknown;
  /** The slots this handler answers; plugins' other slot-server slots keep their host API. */
  slots: readonly HostSlotName[];
}

export interface SlotServerOptions {
  /** The handlers every thread makes; each slot is answered by one of them. */
  handlers: readonly SlotHandlerModule[];
  /** Threads to spread plugins over; one plugin's calls always go to the same thread. Default 1. */
  threads?: number;
  /** Receives `pluginError` when a handler throws (the plugin gets a host_error envelope). */
  events?: RuntimeEvents;
}

/** What a server thread is given: its queue, and the handlers with the slots each answers. */
export interface SlotServerThreadData {
  queue: number;
  handlers: Array<{ module: string; exportName: string; handlerOptions: unknown; slots: readonly HostSlotName[] }>;
}

/** What a server thread posts to the thread that started it. */
export type SlotServerMessage = { kind: 'ready' } | { kind: 'failed'; message: string } | { kind: 'error'; pluginId: string; slot: string; message: string };

interface ServerThread {
  readonly queue: number;
  readonly worker: Worker;
  readonly exited: Promise<void>;
  readonly ready: Promise<void>;
  /** Its queue is closed (and its index free for another server). */
  hasExited: boolean;
  /** Its handler is made: calls assigned to it wait for no boot. */
  booted: boolean;
  /** The plugins assigned to it, told of its failure to start. */
  readonly plugins: string[];
}

/**
 * Queues whose thread may still wait in the bridge. When the process exits, Node stops its worker threads
 * and waits for each; a thread blocked in C would never stop, so every one is told to return first.
 */
const waitingQueues = new Set<number>();
let stopsAtExit = false;
function stopAtExit(queue: number): void {
  waitingQueues.add(queue);
  if (stopsAtExit) return;
  stopsAtExit = true;
  process.once('exit', () => {
    const bridge = NativeBridge.open();
    for (const waiting of waitingQueues) bridge.stopServerQueue(waiting);
  });
}

/**
 * Threads that answer plugins' slot-server slots synchronously, on a JS thread of their own: a plugin
 * thread's db_exec (or file_read) hands the call to the thread its plugin is assigned to and waits there,
 * without a round trip through the event loop (decisions P177, P194). Pass one to `NativePlugin.load`
 * (`slotServer`).
 */
export class SlotServer {
  /**
   * Resolves once the first thread has made its handler; rejects with its failure to start. Calls queued
   * before then wait for their thread; a thread that fails closes its queue, and its plugins' later calls
   * go to their host API. A later thread's failure is a `pluginError` of each plugin assigned to it.
   */
  readonly ready: Promise<void>;
  /** The slots this server's handlers answer. */
  readonly slots: readonly HostSlotName[];
  readonly #options: SlotServerOptions;
  readonly #script: string;
  readonly #limit: number;
  readonly #threads: ServerThread[] = [];
  #closed: Promise<void> | undefined;

  private constructor(options: SlotServerOptions, slots: readonly HostSlotName[], script: string, limit: number) {
    this.#options = options;
    this.slots = slots;
    this.#script = script;
    this.#limit = limit;
    this.ready = this.#startThread().ready;
    // Reported through `ready`; never an unhandled rejection of its own.
    this.ready.catch(() => undefined);
  }

  /**
   * Opens the first queue and starts its thread, without waiting for it: a plugin can be given the server
   * at once, and its first call waits only if its thread still boots (see `ready`). The other threads, up
   * to `threads`, start one at a time once every running thread has a plugin, so a host with one plugin
   * boots one thread.
   */
  static start(options: SlotServerOptions): SlotServer {
    const count = options.threads ?? 1;
    if (!Number.isSafeInteger(count) || count < 1) throw new RuntimeError('invalid_argument', `threads must be an integer ≥ 1; got ${String(count)}.`);
    const slots = options.handlers.flatMap((handler) => handler.slots);
    for (const [index, slot] of slots.entries()) {
      if (!SLOT_SERVER_SLOTS.includes(slot)) {
        throw new RuntimeError('invalid_argument', `A slot server cannot answer ${slot}; give its handlers only slot-server slots (${SLOT_SERVER_SLOTS.join(', ')}).`);
      }
      if (slots.indexOf(slot) !== index) throw new RuntimeError('invalid_argument', `Two handlers answer ${slot}; give each slot to one handler.`);
    }
    return new SlotServer(options, slots, builtEntry('slot-server', 'slot-server thread'), count);
  }

  /** Starts a thread; a thread after the first reports its failure to start as an error of each plugin assigned to it. */
  #startThread(): ServerThread {
    const first = this.#threads.length === 0;
    const bridge = NativeBridge.open();
    const options = this.#options;
    const queue = bridge.openServerQueue();
    const worker = new Worker(this.#script, {
      workerData: {
        queue,
        handlers: options.handlers.map(({ module, exportName, handlerOptions, slots }) => ({ module: String(module), exportName, handlerOptions, slots })),
      } satisfies SlotServerThreadData,
      // Not the host's flags (loaders, export conditions): the thread runs built entries as they are.
      execArgv: [],
    });
    // A thread that waits for plugin calls keeps nothing alive: the host stops it with close().
    worker.unref();
    stopAtExit(queue);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const thread: Omit<ServerThread, 'ready'> = { queue, worker, exited, hasExited: false, booted: false, plugins: [] };
    void exited.then(() => {
      thread.hasExited = true;
      waitingQueues.delete(queue);
      bridge.closeServerQueue(queue);
    });
    const ready = new Promise<void>((resolve, reject) => {
      let starting = true;
      const fail = (message: string) => {
        if (!starting) return;
        starting = false;
        bridge.stopServerQueue(queue);
        reject(new RuntimeError('invalid_argument', `The slot server could not start: ${message}`));
      };
      worker.on('message', (message: SlotServerMessage) => {
        if (message.kind === 'ready' && starting) {
          starting = false;
          thread.booted = true;
          resolve();
        } else if (message.kind === 'failed') fail(message.message);
        else if (message.kind === 'error') {
          options.events?.emit('pluginError', { pluginId: message.pluginId, error: new Error(`${message.slot}: ${message.message}`) });
        }
      });
      worker.once('error', (error) => fail(error.message));
      void exited.then(() => fail('its thread exited'));
    });
    const started = Object.assign(thread, { ready });
    if (!first) {
      ready.catch((error: Error) => {
        for (const pluginId of thread.plugins) options.events?.emit('pluginError', { pluginId, error });
      });
    }
    this.#threads.push(started);
    return started;
  }

  /**
   * The queue of the thread plugin `pluginId` is assigned to, or null when none runs: the plugin then keeps
   * its host API's database slots. The running thread with the fewest plugins takes it, and a thread still
   * booting only while none has booted, so a plugin loaded into a running host never waits for a boot
   * (P186). When every running thread already has a plugin, the next thread starts, for the plugins after;
   * `prestart` starts them all at once.
   */
  assign(pluginId: string): number | null {
    if (this.#closed) return null;
    const running = this.#threads.filter((thread) => !thread.hasExited);
    if (running.length === 0) return null;
    const booted = running.filter((thread) => thread.booted);
    const chosen = (booted.length > 0 ? booted : running).reduce((fewest, thread) => (thread.plugins.length < fewest.plugins.length ? thread : fewest));
    if (this.#threads.length < this.#limit && running.every((thread) => thread.plugins.length > 0)) this.#startThread();
    chosen.plugins.push(pluginId);
    return chosen.queue;
  }

  /** Forgets one assignment of `pluginId` (it unloaded, or failed to load), so it no longer counts toward its thread. */
  release(pluginId: string): void {
    for (const thread of this.#threads) {
      const index = thread.plugins.indexOf(pluginId);
      if (index === -1) continue;
      thread.plugins.splice(index, 1);
      return;
    }
  }

  /**
   * Starts the threads not started yet, for a server that keeps running: a plugin assigned later then
   * waits for no boot, and no boot competes with its first calls (P186). Resolves once each thread booted
   * or failed to.
   */
  async prestart(): Promise<void> {
    if (this.#closed) return;
    while (this.#threads.length < this.#limit) this.#startThread();
    await Promise.allSettled(this.#threads.map((thread) => thread.ready));
  }

  /** Stops every thread after the calls already queued (once it booted), and waits for them to exit. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const bridge = NativeBridge.open();
      for (const thread of this.#threads) {
        // Until it exited, so a process ending with close() waits for the thread's own close.
        thread.worker.ref();
        bridge.stopServerQueue(thread.queue);
      }
      await Promise.all(this.#threads.map((thread) => thread.exited));
    })();
    return this.#closed;
  }
}
