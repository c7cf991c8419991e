import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSharedLibrary, headerDirectory, packageRoot, sharedLibraryExtension } from '../native/build.mjs';

/** C sources of the plugins this package tests itself with; other packages and plugin authors reuse them. */
export const fixtureSources = {
  /** Every host slot through tools; build with `defines: { PLUGIN_ABI: 2..6 }`. */
  testPlugin: join(packageRoot, 'fixtures', 'test_plugin.c'),
  /** Loader edge cases, one per macro (V1_ONLY, NULL_API, NULL_MANIFEST, ...). */
  edgePlugin: join(packageRoot, 'fixtures', 'edge_plugin.c'),
  /** One tool, `fuzz`: random host calls with hostile arguments, from its own and spawned threads. */
  fuzzPlugin: join(packageRoot, 'fixtures', 'fuzz_plugin.c'),
  /** Attacks on the host: deeply nested arguments, threads that outlive destroy. */
  hostilePlugin: join(packageRoot, 'fixtures', 'hostile_plugin.c'),
} as const;

export interface CompilePluginOptions {
  /** Preprocessor macros: `{ PLUGIN_ABI: 4, EXPORT_V1_ENTRY: true }`. */
  defines?: Record<string, string | number | boolean>;
  /** Extra compiler arguments, e.g. `['-m32']`. */
  extraArgs?: string[];
  /** Where built libraries are kept between runs; default `$OSR_HOST_PLUGIN_CACHE` or the temp dir. */
  cacheDirectory?: string;
}

/**
 * Compiles C plugin sources against this package's `osaurus_plugin.h` with the
 * system compiler. The result is cached by the hash of the sources, the
 * header and the options, so repeated test runs compile nothing.
 */
export function compilePlugin(sources: string | string[], options: CompilePluginOptions = {}): string {
  const files = Array.isArray(sources) ? sources : [sources];
  const macroArgs = Object.entries(options.defines ?? {})
    .filter(([, value]) => value !== false)
    .map(([name, value]) => (value === true ? `-D${name}` : `-D${name}=${value}`));
  const extraArgs = [...macroArgs, ...(options.extraArgs ?? [])];
  const hash = createHash('sha256');
  for (const file of [...files, join(headerDirectory, 'osaurus_plugin.h')]) hash.update(readFileSync(file));
  hash.update(JSON.stringify(extraArgs));
  const directory = options.cacheDirectory ?? process.env.OSR_HOST_PLUGIN_CACHE ?? join(tmpdir(), 'osr-host-plugin-cache');
  const output = join(directory, `plugin-${hash.digest('hex').slice(0, 24)}${sharedLibraryExtension}`);
  if (!existsSync(output)) compileSharedLibrary(files, output, extraArgs);
  return output;
}

let copies = 0;

/**
 * Copies a built library to a fresh path. The dynamic linker maps one path
 * once per process, so two independent instances of a plugin (with their own
 * globals) need two paths — as the dev loop does for every rebuild.
 */
export function uniqueLibraryCopy(library: string, directory: string): string {
  mkdirSync(directory, { recursive: true });
  const target = join(directory, `copy-${process.pid}-${++copies}${sharedLibraryExtension}`);
  copyFileSync(library, target);
  return target;
}
