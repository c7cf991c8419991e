import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import koffi from 'koffi';
import { afterAll, bench, describe } from 'vitest';
import { RuntimeEvents } from './events.js';
import { answerFrameAgent, NativePlugin } from './index.js';

// The plugin times its own host calls from inside a tool call (as a third-party plugin would see
// them), on the tool's thread and on a thread it spawned. The floor, measured in the same run, is
// C calling a koffi-registered JS function on the same thread and copying and freeing its string.
// The table printed at the end gives each case as a ratio of that floor (goal: at most 3×).
const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const events = new RuntimeEvents();
let recorded = 0;
events.on('hostCall', () => {
  recorded++;
});
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const plugin = await NativePlugin.load(library, {
  pluginId: 'bench.fast',
  events,
  hostApi: { get_active_agent_id: answerFrameAgent, log: () => undefined, log_structured: () => undefined },
});
const raw = koffi.load(library);
const StringCallback = koffi.proto('const char* osr_bench_string_callback()');
const floorCalls = raw.func('double osr_bench_string_callbacks(osr_bench_string_callback* callback, int times)');
const answerAgent = koffi.register(() => AGENT, koffi.pointer(StringCallback));
const CALLS = 2000;
const SLOTS = ['get_active_agent_id', 'log', 'log_structured', 'free_string'] as const;

/** Nanoseconds per call of every run, by case. */
const samples = new Map<string, number[]>();
const sample = (name: string, ns: number) => samples.set(name, [...(samples.get(name) ?? []), ns]);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

afterAll(async () => {
  koffi.unregister(answerAgent);
  await plugin.shutdown();
  const floor = median(samples.get('floor') ?? [Number.NaN]);
  const rows = [...samples].map(([name, values]) => {
    const ns = median(values);
    return { case: name, 'ns per call (median)': Number(ns.toFixed(1)), 'ratio to floor': Number((ns / floor).toFixed(2)) };
  });
  console.log(`\nP1: host calls timed by the plugin, ${CALLS} per run (${recorded} host calls recorded)`);
  console.table(rows);
});

describe(`P1: ${CALLS} host calls per iteration, timed by the plugin`, () => {
  bench('floor: C calls a koffi-registered JS function on its thread, copies and frees its string', () => {
    sample('floor', floorCalls(answerAgent, CALLS) as number);
  });
  for (const slot of SLOTS) {
    bench(`${slot}, tool thread and plugin-spawned thread`, async () => {
      const outcome = await plugin.invoke('tool', `time.${slot}`, String(CALLS), { agentId: AGENT });
      if (outcome.kind !== 'returned') throw new Error(`time.${slot} failed: ${outcome.kind}`);
      const { result } = JSON.parse(outcome.text) as { result: { tool_thread_ns: number; spawned_thread_ns: number } };
      sample(`${slot} (tool thread)`, result.tool_thread_ns);
      sample(`${slot} (spawned thread)`, result.spawned_thread_ns);
    });
  }
});
