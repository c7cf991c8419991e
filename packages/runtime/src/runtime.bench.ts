import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import koffi from 'koffi';
import { afterAll, bench, describe } from 'vitest';
import { IsolatedPlugin, NativePlugin } from './index.js';

// Each group runs its cases side by side in one process: vitest prints how many times faster the
// baseline is than each case, which is the ratio docs/benchmarks.md records.
const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const plugin = await NativePlugin.load(library, { pluginId: 'bench.plugin', hostApi: { get_active_agent_id: (ctx) => ctx.agentId } });
const isolated = await IsolatedPlugin.load(library, { pluginId: 'bench.isolated', hostApi: { get_active_agent_id: (ctx) => ctx.agentId } });
const raw = koffi.load(library);
const trivial = raw.func('int osr_bench_trivial(int x)');
const CallbackProto = koffi.proto('void osr_bench_callback()');
const runCallbacks = raw.func('void osr_bench_callbacks(osr_bench_callback* callback, int times)');
const noop = koffi.register(() => undefined, koffi.pointer(CallbackProto));
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const CALLBACKS = 100;

afterAll(async () => {
  koffi.unregister(noop);
  await Promise.all([plugin.shutdown(), isolated.shutdown()]);
});

describe('plugin call: raw koffi call vs full invoke round trip', () => {
  bench('raw koffi call (C function, JS thread)', () => {
    trivial(1);
  });
  bench('invoke round trip (bridge thread, copy, free_string, wake-up)', async () => {
    await plugin.invoke('tool', 'echo', '1', { agentId: AGENT });
  });
});

describe(`host callbacks: ${CALLBACKS} per iteration`, () => {
  bench('raw koffi callback (C calls a registered JS function, same thread)', () => {
    runCallbacks(noop, CALLBACKS);
  });
  bench('host callback round trip from the invoke thread (get_active_agent_id)', async () => {
    await plugin.invoke('tool', 'repeat.get_active_agent_id', String(CALLBACKS), { agentId: AGENT });
  });
  bench('host callback round trip from a plugin-spawned thread', async () => {
    await plugin.invoke('tool', 'thread_repeat.get_active_agent_id', String(CALLBACKS), { agentId: AGENT });
  });
});

describe('isolation overhead: invoke round trip', () => {
  bench('in-process plugin', async () => {
    await plugin.invoke('tool', 'echo', '1', { agentId: AGENT });
  });
  bench('isolated plugin (child process, IPC)', async () => {
    await isolated.invoke('tool', 'echo', '1', { agentId: AGENT });
  });
});

describe(`isolation overhead: ${CALLBACKS} host callbacks per iteration`, () => {
  bench('in-process plugin', async () => {
    await plugin.invoke('tool', 'repeat.get_active_agent_id', String(CALLBACKS), { agentId: AGENT });
  });
  bench('isolated plugin (each callback crosses to the host process)', async () => {
    await isolated.invoke('tool', 'repeat.get_active_agent_id', String(CALLBACKS), { agentId: AGENT });
  });
});
