import { Worker } from 'node:worker_threads';
import type { ServedSlot } from './slots.js';

/**
 * JSON arguments from this many bytes up are parsed off the event loop
 * (decision P167): below it, parsing inline costs well under a millisecond,
 * less than the round trip to a worker.
 */
export const OFF_LOOP_ARGUMENT_BYTES = 256 * 1024;

/**
 * What a slot's implementation reads of its JSON argument, so only that crosses back to the event loop.
 * (db_exec/db_query params are parsed by the storage workers already.)
 */
type Reading = 'http_request';

const READINGS: Partial<Record<ServedSlot, { index: number; reading: Reading }>> = {
  http_request: { index: 0, reading: 'http_request' },
};

/**
 * An equivalent, small JSON text for `text`: the implementation gives the
 * same answer for both. http_request keeps only the request fields
 * HOST_API.md defines (a non-string body only needs to stay a non-string).
 * Text that is not JSON is returned unchanged, so the implementation reports
 * it as before.
 *
 * Self-contained: it is also the worker's code (see `workerSource`).
 */
export function compactJsonArgument(text: string, reading: Reading): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  switch (reading) {
    case 'http_request': {
      // Anything but an object is refused whatever it holds: keep only its kind.
      if (value === null || typeof value !== 'object') return 'null';
      if (Array.isArray(value)) return '[]';
      const request = value as Record<string, unknown>;
      const fields = ['method', 'url', 'headers', 'body', 'body_encoding', 'timeout_ms', 'follow_redirects'];
      const kept = Object.fromEntries(fields.filter((field) => Object.hasOwn(request, field)).map((field) => [field, request[field]]));
      if (kept['body'] !== null && kept['body'] !== undefined && typeof kept['body'] !== 'string') kept['body'] = false;
      return JSON.stringify(kept);
    }
  }
}

const workerSource = `
const { parentPort } = require('node:worker_threads');
const compactJsonArgument = ${compactJsonArgument.toString()};
parentPort.on('message', ({ id, text, reading }) => parentPort.postMessage({ id, text: compactJsonArgument(text, reading) }));
`;

interface Job {
  text: string;
  resolve: (text: string) => void;
}

/** One worker for every plugin, started on the first large argument; it holds the process open only while it works. */
class ArgumentWorker {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, Job>();
  private lastId = 0;

  compact(text: string, reading: Reading): Promise<string> {
    const worker = this.started();
    const id = ++this.lastId;
    return new Promise((resolve) => {
      this.jobs.set(id, { text, resolve });
      worker.ref();
      worker.postMessage({ id, text, reading });
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerSource, { eval: true });
    worker.on('message', ({ id, text }: { id: number; text: string }) => {
      this.jobs.get(id)?.resolve(text);
      this.jobs.delete(id);
      if (this.jobs.size === 0) worker.unref();
    });
    // A worker that dies (out of memory) loses no call: its arguments go to the implementation as they came.
    const fail = () => {
      if (this.worker === worker) this.worker = undefined;
      for (const job of this.jobs.values()) job.resolve(job.text);
      this.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }
}

const argumentWorker = new ArgumentWorker();

/**
 * The arguments a slot's implementation gets: a JSON argument of
 * OFF_LOOP_ARGUMENT_BYTES or more is parsed on a worker thread and replaced by
 * the small equivalent text `compactJsonArgument` makes, so its size costs
 * the event loop no parse. Smaller ones, and slots that read their whole
 * argument, are served as they came.
 */
export async function argumentsOffLoop(slot: ServedSlot, args: readonly (string | null)[], argBytes: readonly number[]): Promise<(string | null)[]> {
  const read = READINGS[slot];
  const text = read ? args[read.index] : null;
  if (!read || text === null || text === undefined || (argBytes[read.index] ?? 0) < OFF_LOOP_ARGUMENT_BYTES) return [...args];
  const served = [...args];
  served[read.index] = await argumentWorker.compact(text, read.reading);
  return served;
}
