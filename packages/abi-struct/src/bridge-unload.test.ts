import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cCompiler, ensureBridgeLibrary } from '../native/build.mjs';

// The bridge's threads are never joined, so a process that unloads its libraries while tearing down must
// not unmap the bridge under them (it did: a worker still spinning after the last call crashed at exit).
describe('the native bridge once loaded', () => {
  it('stays loaded after the last handle to it is closed', () => {
    const directory = mkdtempSync(join(tmpdir(), 'osr-bridge-unload-'));
    const source = join(directory, 'unload.c');
    writeFileSync(
      source,
      [
        '#include <dlfcn.h>',
        '#include <stdio.h>',
        'int main(int argc, char** argv) {',
        '  (void)argc;',
        '  void* bridge = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);',
        '  if (!bridge) { printf("not loaded: %s\\n", dlerror()); return 1; }',
        '  dlclose(bridge);',
        '  printf("%s\\n", dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) ? "still loaded" : "unloaded");',
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const program = join(directory, 'unload');
    execFileSync(cCompiler(), [source, '-o', program, ...(process.platform === 'linux' ? ['-ldl'] : [])]);
    expect(execFileSync(program, [ensureBridgeLibrary()], { encoding: 'utf8' }).trim()).toBe('still loaded');
  });
});
