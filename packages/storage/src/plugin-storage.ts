import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { errorJson, storageErrorJson } from './engine.js';
import { StorageError, type StorageErrorCode } from './errors.js';
import { assertValidPluginId } from './paths.js';
import { launchStorageWorker, type StartingWorker } from './worker-launch.js';
import type { WorkerRequest, WorkerResponse, WorkerSettings } from './worker-protocol.js';

/** Upstream's default size cap per plugin database: 100 MiB. */
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
/** Upstream's busy timeout: how long a statement waits for another connection's lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface PluginStorageOptions {
  /** The host home; each plugin's database is `<home>/Tools/<pluginId>/data/data.db`. */
  readonly home: string;
  /** Size cap per plugin database in bytes; 0 means unlimited. Default 100 MiB. */
  readonly maxBytes?: number;
  /** Lock wait in ms before a statement fails with `database_busy`. Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * Worker threads that run the databases; each plugin is pinned to one, so a
   * slow or lock-waiting plugin only delays the plugins sharing its worker.
   * Default: the number of CPUs, at most 4.
   */
  readonly workers?: number;
}

/** Parameters for the typed API: a positional array or named values (`{":name": v}`, `name`, `@name`, `$name`). */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface ExecResult {
  readonly changes: number;
  /** Exact up to 2^53, like every integer that passes through JSON in JS. */
  readonly lastInsertRowid: number;
}

export interface QueryResult {
  readonly columns: string[];
  /** Positional rows; BLOB cells are base64 strings. */
  readonly rows: unknown[][];
}

/** One plugin's view of its database, for one loaded instance of the plugin. */
export interface PluginDatabase {
  readonly pluginId: string;
  /** The `db_exec` slot: the reply string, or null for NULL `sql`. */
  exec(sql: string | null, paramsJson: string | null): Promise<string | null>;
  /** The `db_query` slot: the reply string, or null for NULL `sql`. */
  query(sql: string | null, paramsJson: string | null): Promise<string | null>;
  execute(sql: string, params?: SqlParams): Promise<ExecResult>;
  select(sql: string, params?: SqlParams): Promise<QueryResult>;
  /**
   * Tears this instance down: calls already made still complete, every later
   * call on this handle answers `shutting_down`, and the connection is closed.
   */
  close(): Promise<void>;
}

interface WorkerSlot {
  /** The thread from the start, so closeAll can stop it while it still boots. */
  readonly thread: Worker | undefined;
  readonly started: Promise<Worker>;
  worker: Worker | undefined;
  readonly pending: Map<number, (result: string | null) => void>;
  assignedPlugins: number;
}

function shuttingDown(pluginId: string): string {
  return errorJson('shutting_down', `Storage for plugin ${pluginId} is shutting down; the call was not run.`);
}

/**
 * Per-plugin SQLite databases behind async calls. The databases run on worker
 * threads, so a long statement or a 5 s lock wait never blocks the host's
 * event loop. Calls for one plugin run in the order they were made.
 */
export class PluginStorage {
  readonly #settings: WorkerSettings;
  readonly #workerLimit: number;
  readonly #slots: WorkerSlot[] = [];
  readonly #assignments = new Map<string, WorkerSlot>();
  #nextRequestId = 1;
  #closed = false;

  constructor(options: PluginStorageOptions) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const workers = options.workers ?? Math.min(4, availableParallelism());
    if (typeof options.home !== 'string' || options.home === '') {
      throw new StorageError('invalid_argument', 'Pass `home`, the directory that holds Tools/<plugin_id>/.');
    }
    for (const [name, value, min] of [
      ['maxBytes', maxBytes, 0],
      ['busyTimeoutMs', busyTimeoutMs, 0],
      ['workers', workers, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new StorageError('invalid_argument', `Option ${name} must be an integer ≥ ${min}; got ${String(value)}.`);
      }
    }
    this.#settings = { home: options.home, maxBytes, busyTimeoutMs };
    this.#workerLimit = workers;
  }

  /** The `db_exec` host slot for `pluginId`: `{"changes","last_insert_rowid"}` or an error envelope. */
  exec(pluginId: string, sql: string | null, paramsJson: string | null): Promise<string | null> {
    return this.#statement('exec', pluginId, sql, paramsJson);
  }

  /** The `db_query` host slot for `pluginId`: `{"columns":[…],"rows":[[…]]}` or an error envelope. */
  query(pluginId: string, sql: string | null, paramsJson: string | null): Promise<string | null> {
    return this.#statement('query', pluginId, sql, paramsJson);
  }

  /** Typed `exec`: rejects with a StorageError carrying the envelope's code. */
  async execute(pluginId: string, sql: string, params?: SqlParams): Promise<ExecResult> {
    const reply = parseReply(await this.exec(pluginId, sql, encodeParams(params)));
    return { changes: reply.changes as number, lastInsertRowid: reply.last_insert_rowid as number };
  }

  /** Typed `query`: rejects with a StorageError carrying the envelope's code. */
  async select(pluginId: string, sql: string, params?: SqlParams): Promise<QueryResult> {
    const reply = parseReply(await this.query(pluginId, sql, encodeParams(params)));
    return { columns: reply.columns as string[], rows: reply.rows as unknown[][] };
  }

  /** A handle for one loaded instance of a plugin; closing it refuses its later calls with `shutting_down`. */
  forPlugin(pluginId: string): PluginDatabase {
    assertValidPluginId(pluginId);
    let closed = false;
    const whileOpen = <T>(call: () => Promise<T>, refused: () => Promise<T>) => (closed ? refused() : call());
    const refuse = async (): Promise<never> => {
      throw new StorageError('shutting_down', `Storage for plugin ${pluginId} is shutting down; the call was not run.`);
    };
    return {
      pluginId,
      exec: (sql, paramsJson) =>
        whileOpen(() => this.exec(pluginId, sql, paramsJson), async () => (sql === null ? null : shuttingDown(pluginId))),
      query: (sql, paramsJson) =>
        whileOpen(() => this.query(pluginId, sql, paramsJson), async () => (sql === null ? null : shuttingDown(pluginId))),
      execute: (sql, params) => whileOpen(() => this.execute(pluginId, sql, params), refuse),
      select: (sql, params) => whileOpen(() => this.select(pluginId, sql, params), refuse),
      close: () => {
        closed = true;
        return this.close(pluginId);
      },
    };
  }

  /**
   * Starts every storage worker now (up to the `workers` limit), so that a plugin's first call
   * finds one running instead of waiting for a thread to boot. Resolves once they run (or could
   * not start: calls then answer `database_unavailable` as usual). Idle workers keep nothing alive;
   * `closeAll` stops workers still booting without waiting for them.
   */
  async prestart(): Promise<void> {
    if (this.#closed) return;
    while (this.#slots.length < this.#workerLimit) this.#startWorker();
    await Promise.allSettled(this.#slots.map((slot) => slot.started));
  }

  /**
   * Closes one plugin's connection after the calls already made for it; a
   * later call reopens it (e.g. after a reload).
   */
  async close(pluginId: string): Promise<void> {
    const slot = this.#assignments.get(pluginId);
    if (slot === undefined) return;
    await this.#send(slot, (id) => ({ id, op: 'close', pluginId }));
  }

  /** Closes every database and stops the workers; every later call answers `shutting_down`. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    this.#assignments.clear();
    await Promise.all(
      slots.map(async (slot) => {
        // A worker still booting with nothing to run has nothing to close: stop it without waiting for its boot.
        if (slot.worker === undefined && slot.pending.size === 0) {
          await stopThread(slot.thread);
          return;
        }
        await this.#send(slot, (id) => ({ id, op: 'closeAll' }));
        await stopThread(slot.worker);
      }),
    );
  }

  async #statement(op: 'exec' | 'query', pluginId: string, sql: string | null, paramsJson: string | null) {
    if (sql === null) return null;
    if (this.#closed) return shuttingDown(pluginId);
    try {
      assertValidPluginId(pluginId);
    } catch (error) {
      return storageErrorJson(error as StorageError);
    }
    return this.#send(this.#slotFor(pluginId), (id) => ({ id, op, pluginId, sql, paramsJson }));
  }

  /**
   * Pins a plugin to the running worker with the fewest plugins (a starting one only when none
   * runs yet), then starts a spare worker in the background while under the limit, so the next
   * plugin's first call does not wait for a thread to boot either.
   */
  #slotFor(pluginId: string): WorkerSlot {
    const assigned = this.#assignments.get(pluginId);
    if (assigned !== undefined) return assigned;
    const running = this.#slots.filter((slot) => slot.worker !== undefined);
    const candidates = running.length > 0 ? running : this.#slots;
    const slot =
      candidates.length > 0
        ? candidates.reduce((least, slot) => (slot.assignedPlugins < least.assignedPlugins ? slot : least))
        : this.#startWorker();
    slot.assignedPlugins += 1;
    this.#assignments.set(pluginId, slot);
    if (this.#slots.length < this.#workerLimit && this.#slots.every((started) => started.assignedPlugins > 0)) this.#startWorker();
    return slot;
  }

  #startWorker(): WorkerSlot {
    let launched: StartingWorker | undefined;
    let started: Promise<Worker>;
    try {
      // A booting worker keeps the process alive until it runs, so a call waiting for it is not
      // dropped at exit; closeAll stops a booting worker without waiting for it.
      launched = launchStorageWorker(this.#settings);
      started = launched.ready;
    } catch (error) {
      started = Promise.reject(error);
    }
    const slot: WorkerSlot = {
      thread: launched?.thread,
      started,
      worker: undefined,
      pending: new Map(),
      assignedPlugins: 0,
    };
    this.#slots.push(slot);
    slot.started.then(
      (worker) => {
        slot.worker = worker;
        worker.on('message', ({ id, result }: WorkerResponse) => {
          const resolve = slot.pending.get(id);
          slot.pending.delete(id);
          if (slot.pending.size === 0 && !this.#closed) worker.unref();
          resolve?.(result);
        });
        worker.on('error', (error) => this.#retire(slot, error.message));
        worker.on('exit', (code) => this.#retire(slot, `the storage worker exited with code ${code}`));
        // Idle workers must not keep the host process alive; #send refs them while busy. After the
        // listeners: adding a 'message' listener refs the worker's port again. Once closeAll began, the
        // worker stays referenced until it exits, or the process could end before closeAll returns.
        if (slot.pending.size === 0 && !this.#closed) worker.unref();
      },
      (error: Error) => this.#retire(slot, `the storage worker did not start: ${error.message}`),
    );
    return slot;
  }

  /** Answers every call waiting on a dead worker and forgets it, so the next call starts a fresh one. */
  #retire(slot: WorkerSlot, reason: string): void {
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
    for (const [pluginId, assigned] of this.#assignments) {
      if (assigned === slot) this.#assignments.delete(pluginId);
    }
    const reply = errorJson('database_unavailable', `Database not open: ${reason}.`);
    for (const resolve of slot.pending.values()) resolve(reply);
    slot.pending.clear();
  }

  #send(slot: WorkerSlot, request: (id: number) => WorkerRequest): Promise<string | null> {
    const id = this.#nextRequestId++;
    return new Promise((resolve) => {
      slot.pending.set(id, resolve);
      const post = (worker: Worker) => {
        if (!slot.pending.has(id)) return;
        worker.ref();
        worker.postMessage(request(id));
      };
      // Posting synchronously once the worker runs keeps each plugin's calls in call order.
      if (slot.worker !== undefined) post(slot.worker);
      else slot.started.then(post, () => undefined);
    });
  }
}

/**
 * Stops a worker thread. It is referenced first: terminating an idle (unreferenced) worker does not keep
 * the event loop alive, so a process with nothing else to do would exit before `closeAll` returns, cutting
 * off whatever its caller does next (such as printing a command's result).
 */
async function stopThread(thread: Worker | undefined): Promise<void> {
  if (thread === undefined) return;
  thread.ref();
  await thread.terminate();
}

/** Creates the per-plugin storage; nothing is opened until a plugin's first call. */
export function createPluginStorage(options: PluginStorageOptions): PluginStorage {
  return new PluginStorage(options);
}

function encodeParams(params: SqlParams | undefined): string | null {
  if (params === undefined) return null;
  try {
    return JSON.stringify(params);
  } catch (cause) {
    throw new StorageError('invalid_argument', `Parameters must be JSON-serialisable: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function parseReply(reply: string | null): Record<string, unknown> {
  const parsed = JSON.parse(reply!) as Record<string, unknown>;
  if (typeof parsed.error === 'string') {
    throw new StorageError(parsed.error as StorageErrorCode, String(parsed.message));
  }
  return parsed;
}
