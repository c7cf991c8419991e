import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type HostCallEvent, NativeBridge, PluginLibrary } from './index.js';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from './testing.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-slot-reuse-'));

function hostile(name: string): string {
  return uniqueLibraryCopy(compilePlugin(fixtureSources.hostilePlugin, { defines: { PLUGIN_NAME: `"${name}"` } }), scratch);
}

/** Answers every host call with `answer` and keeps the SQL of its db_query calls. */
function answering(answer: string, queries: string[]) {
  const bridge = NativeBridge.open();
  return (event: HostCallEvent) => {
    if (event.slot === 'db_query') queries.push(event.args[0] ?? '');
    bridge.reply(event.request, answer);
  };
}

async function waitForFile(path: string): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text !== '') return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} was not written`);
}

describe('a plugin slot and the threads of its former owner', () => {
  it.each(['linger.table', 'linger.cached'])(
    'a thread left by a destroyed plugin (%s) never reaches the next plugin given its slot',
    async (tool) => {
      const oldQueries: string[] = [];
      const old = await PluginLibrary.open(hostile('old.owner'), { onHostCall: answering('answered for old.owner', oldQueries) });
      const oldCtx = await old.init();
      const marker = join(scratch, `${tool}-${Date.now()}`);
      expect((await old.invoke(oldCtx, 'tool', tool, marker)).text).toContain('lingering');
      if (tool === 'linger.cached') {
        // The thread's first call, made while its plugin is alive, is served as usual.
        for (let waited = 0; oldQueries.length === 0 && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
        expect(oldQueries).toEqual(["SELECT 'before destroy'"]);
      }
      await old.destroy(oldCtx);
      old.release();

      // Reload plugins until one is handed the destroyed plugin's slot.
      const newQueries: string[] = [];
      const newcomerPath = hostile('newcomer');
      let newcomer: PluginLibrary | undefined;
      for (let attempt = 0; attempt <= NativeBridge.open().maxPluginSlots && !newcomer; attempt++) {
        const loaded = await PluginLibrary.open(newcomerPath, { onHostCall: answering('answered for newcomer', newQueries) });
        if (loaded.pluginSlot === old.pluginSlot) newcomer = loaded;
        else loaded.release();
      }
      expect(newcomer?.pluginSlot).toBe(old.pluginSlot);

      writeFileSync(`${marker}.go`, '');
      expect(await waitForFile(`${marker}.out`)).toBe('(null)');
      expect(newQueries).toEqual([]);
      newcomer!.release();
    },
    30_000,
  );
});
