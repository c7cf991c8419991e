import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { describe, expect, it } from 'vitest';
import { IsolatedPlugin } from '../index.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-load-crash-'));

describe('an isolated plugin that crashes while loading', () => {
  it('says it is not loaded, not that it restarts on the next call', async () => {
    const path = uniqueLibraryCopy(compilePlugin(fixtureSources.hostilePlugin, { defines: { CRASH_IN_INIT: true } }), scratch);
    const error = await IsolatedPlugin.load(path, { pluginId: 'crashes.in.init' }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe("Plugin 'crashes.in.init' crashed (SIGSEGV) while loading, so it is not loaded");
  });
});
