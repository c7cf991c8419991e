// The runtime runs the plugin in-process and isolated; isolation needs dist/plugin-process.js in the tarball.
import assert from 'node:assert/strict';
import { PluginRuntime } from '@osr-host/runtime';
import { smokePlugin } from './plugin.mjs';

const library = smokePlugin();
for (const isolate of [false, true]) {
  const logs = [];
  const runtime = new PluginRuntime({ isolate, hostApi: { log: (_ctx, _level, message) => logs.push(message) } });
  const plugin = await runtime.load(library, 'dev.osr.smoke');
  assert.equal(await plugin.invokeTool('echo', '{"isolate":' + isolate + '}', { agentId: null }), `{"ok":true,"result":{"isolate":${isolate}}}`);
  assert.deepEqual(logs, ['echo called']);
  await runtime.shutdown();
}
console.log('PluginRuntime invoked echo in-process and isolated');
