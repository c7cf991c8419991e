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

// A program that loads both builds (require and import) shares one bridge and one set of C types.
const required = createRequire(import.meta.url)('@osr-host/abi-struct');
assert.equal(required.NativeBridge.open(), bridge);
assert.equal(required.HostApiStruct, (await import('@osr-host/abi-struct')).HostApiStruct);
const throughRequire = await required.PluginLibrary.open(smokePlugin());
const requiredCtx = await throughRequire.init();
assert.equal((await throughRequire.invoke(requiredCtx, 'tool', 'echo', '{"n":2}')).text, '{"ok":true,"result":{"n":2}}');
throughRequire.release();
console.log(`PluginLibrary loaded, invoked echo, answered 1 host call (${HOST_SLOTS.length} host slots known)`);
