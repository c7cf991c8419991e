import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbiError, PluginLibrary } from './index.js';

describe('loading something that is not a library file', () => {
  it('names a directory plainly instead of a raw EISDIR', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'osr-not-a-library-'));
    const error = await PluginLibrary.open(directory).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbiError);
    expect(error).toMatchObject({
      code: 'library_load_failed',
      message: `Failed to load plugin library: ${directory}: it is a directory; pass the plugin's library file (lib<name>.so) instead`,
    });
  });
});
