// The ABI layer alone: the native bridge built by the package's install script, a plugin loaded,
// initialised and invoked, its host call (log) answered.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HOST_SLOTS, NativeBridge, PluginLibrary } from '@osr-host/abi-struct';
import { smokePlugin } from './plugin.mjs';

// The package's install script must have built the bridge already (else it would build on first use).
const packageRoot = dirname(createRequire(import.meta.url).resolve('@osr-host/abi-struct/package.json'));
assert.ok(existsSync(join(packageRoot, 'build', `${process.platform}-${process.arch}`, 'libosr_bridge.so')), 'native bridge not built at install');
const bridge = NativeBridge.open();
const logged = [];
const plugin = await PluginLibrary.open(smokePlugin(), {
  level: 6,
  onHostCall: (call) => {
    if (call.slot === 'log') logged.push(call.request);
    bridge.reply(call.request, null);
  },
});
const ctx = await plugin.init();
const result = await plugin.invoke(ctx, 'tool', 'echo', '{"n":1}');
assert.equal(result.text, '{"ok":true,"result":{"n":1}}');
assert.equal(logged.length, 1);
await plugin.destroy(ctx);
plugin.release();
console.log(`PluginLibrary loaded, invoked echo, answered 1 host call (${HOST_SLOTS.length} host slots known)`);
