/**
 * The thread of a slot server (see slot-server.ts): makes the handler, then serves its queue until
 * told to stop. It blocks in the bridge between calls, so it never runs its own event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type SlotServerEntry, SlotServerQueue } from '@osr-host/abi-struct';
import type { SlotHandler, SlotServerMessage, SlotServerThreadData } from './slot-server.js';
import { hostErrorEnvelope } from './slots.js';

const { queue: queueIndex, handlers: handlerModules } = workerData as SlotServerThreadData;
const post = (message: SlotServerMessage) => parentPort?.postMessage(message);

async function main(): Promise<void> {
  /** The handler of each slot; a handler answering two slots appears twice. */
  const handlers = new Map<string, SlotHandler>();
  try {
    for (const { module, exportName, handlerOptions, slots } of handlerModules) {
      const exports = (await import(module)) as Record<string, unknown>;
      const make = exports[exportName];
      if (typeof make !== 'function') throw new Error(`${module} has no function export named ${exportName}`);
      const handler = make(handlerOptions) as SlotHandler;
      for (const slot of slots) handlers.set(slot, handler);
    }
  } catch (error) {
    post({ kind: 'failed', message: (error as Error).message ?? String(error) });
    process.exit(1);
  }
  const madeHandlers = [...new Set(handlers.values())];

  const queue = new SlotServerQueue(queueIndex);
  /** Which plugin each plugin slot serves; one id may hold two slots while a reload overlaps. */
  const plugins = new Map<number, string>();
  post({ kind: 'ready' });

  for (;;) {
    const entry = queue.next();
    let answer: string | null = null;
    if (entry.kind === 'attach') {
      plugins.set(entry.pluginSlot, entry.pluginId);
    } else if (entry.kind === 'forget') {
      const pluginId = plugins.get(entry.pluginSlot);
      plugins.delete(entry.pluginSlot);
      if (pluginId !== undefined && ![...plugins.values()].includes(pluginId)) for (const handler of madeHandlers) handler.forget?.(pluginId);
    } else if (entry.kind === 'call') {
      const pluginId = plugins.get(entry.pluginSlot);
      if (pluginId !== undefined) answer = serve(handlers.get(entry.slot), pluginId, entry);
    }
    queue.reply(entry, answer);
    if (entry.kind === 'stop') break;
  }
  for (const handler of madeHandlers) handler.close?.();
}

/**
 * The slot's handler's answer; one that throws answers host_error, and the thread that started the server
 * hears of it. The bridge sends only the slots the handlers answer.
 */
function serve(handler: SlotHandler | undefined, pluginId: string, call: Extract<SlotServerEntry, { kind: 'call' }>): string | null {
  try {
    if (handler === undefined) throw new Error(`no handler of this server answers ${call.slot}`);
    return handler.serve(pluginId, call.slot, call.args);
  } catch (error) {
    post({ kind: 'error', pluginId, slot: call.slot, message: (error as Error)?.message ?? String(error) });
    return hostErrorEnvelope(call.slot, error);
  }
}

void main();
