import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { type HostCallRecord, RuntimeEvents } from '@osr-host/runtime';
import { afterAll, bench, describe } from 'vitest';
import { tempStore } from './test-support/store.js';

// What a host callback pays for instrumentation: the runtime emits one
// `hostCall` record per call. "Off" has a no-op listener; "on" has the store's
// record(). The write itself runs later in batches, outside the callback; the
// third case includes it to show the whole cost. vitest prints the ratios.
const CALLS_PER_ITERATION = 100;
const REQUEST = JSON.stringify({ prompt: 'Summarise the latest notes for the weekly report', tools: ['notes.search'], max_tokens: 512 });
const RESPONSE = JSON.stringify({ id: '7F1C2E4A-0000-4000-8000-000000000001', status: 'running' });

function hostCallRecord(): HostCallRecord {
  return {
    pluginId: 'com.example.notes',
    agentId: '5B0A8A4E-1111-4222-8333-444455556666',
    frame: 'invoke',
    slot: 'dispatch',
    status: 202,
    startedAt: new Date(),
    durationMs: 0.4,
    args: [REQUEST],
    intArg: 0,
    response: RESPONSE,
    requestBytes: REQUEST.length,
    responseBytes: RESPONSE.length,
  };
}

const off = new RuntimeEvents();
off.on('hostCall', () => {});
const opened = tempStore({ flushIntervalMs: 60_000, maxAgeMs: Number.POSITIVE_INFINITY });
const on = new RuntimeEvents();
on.on('hostCall', (record) => opened.store.record(record));

afterAll(() => {
  opened.dispose();
  rmSync(dirname(opened.path), { recursive: true, force: true });
});

describe(`hostCall instrumentation, ${CALLS_PER_ITERATION} calls`, () => {
  bench('recording off (no-op listener)', () => {
    for (let call = 0; call < CALLS_PER_ITERATION; call += 1) off.emit('hostCall', hostCallRecord());
  });
  bench(
    'recording on (store.record; batched write outside the callback)',
    () => {
      for (let call = 0; call < CALLS_PER_ITERATION; call += 1) on.emit('hostCall', hostCallRecord());
    },
    // tinybench runs afterEach outside the timed call; vitest's option type does not list it.
    { afterEach: () => void opened.store.flush() } as Parameters<typeof bench>[2],
  );
  bench('recording on, including the batched SQLite write', () => {
    for (let call = 0; call < CALLS_PER_ITERATION; call += 1) on.emit('hostCall', hostCallRecord());
    opened.store.flush();
  });
});
