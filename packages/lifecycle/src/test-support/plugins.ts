import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { libraryExtension } from '../layout.js';
import { generateMinisignKeyPair, type MinisignKeyPair, minisignSign } from '../minisign.js';

export function temporaryDirectory(prefix = 'osr-lifecycle-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A real plugin library (abi-struct's edge fixture), compiled once per variant. */
export function pluginLibrary(variant: 'default' | 'v1' = 'default'): string {
  return compilePlugin(fixtureSources.edgePlugin, { defines: { V1_ONLY: variant === 'v1' } });
}

/** A package directory `<parent>/<id>-<version>/` holding the library and, when a key is given, its signature. */
export function packageDirectory(parent: string, pluginId: string, version: string, options: { key?: MinisignKeyPair; library?: string; extra?: Record<string, string> } = {}): string {
  const directory = join(parent, `${pluginId}-${version}`);
  mkdirSync(directory, { recursive: true });
  const library = options.library ?? pluginLibrary();
  const name = `lib${pluginId.replaceAll('.', '_')}${libraryExtension}`;
  const bytes = readFileSync(library);
  writeFileSync(join(directory, name), bytes);
  if (options.key) writeFileSync(join(directory, `${name}.minisig`), minisignSign(bytes, options.key, { trustedComment: `file:${basename(name)}` }));
  for (const [file, content] of Object.entries(options.extra ?? {})) {
    mkdirSync(join(directory, file, '..'), { recursive: true });
    writeFileSync(join(directory, file), content);
  }
  return directory;
}

export function publisherKey(): MinisignKeyPair {
  return generateMinisignKeyPair();
}

/** A manifest the edge fixture could return, with per-tool requirements. */
export function manifestWith(pluginId: string, requirements: string[] = []): string {
  return JSON.stringify({
    plugin_id: pluginId,
    version: '1.0.0',
    description: 'test plugin',
    capabilities: { tools: [{ id: 'hello', description: 'Say hello', requirements }] },
  });
}
