import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVED_SLOTS } from './index.js';

/**
 * Which hand-written files a new slot touches: every source file that names
 * every served slot is one a new slot would have to be added to. CONTRIBUTING's
 * "Adding a host slot" names them; this keeps the guide and the tree the same.
 * Not counted: tests and fixtures (they follow the slot), generated files
 * (marked `@generated`), and the plugin examples under docs/examples, which
 * mirror the table of the ABI version they target, as third-party plugins do.
 */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE = /\.(?:ts|mts|c|h|rs)$/;
const TEST = /\.(?:test|bench)\.ts$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'build', 'target', 'fixtures', 'test-support', 'examples', '.vitepress']);
const isGenerated = (text: string) => text.slice(0, 500).includes('@generated');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return SKIPPED_DIRECTORIES.has(entry) || entry.startsWith('.') ? [] : sourceFiles(path);
    return SOURCE.test(entry) && !TEST.test(entry) ? [path] : [];
  });
}

const namesEverySlot = (text: string) => SERVED_SLOTS.every((name) => new RegExp(`\\b${name}\\b`).test(text));

function contributingSection(): string {
  const guide = readFileSync(join(repositoryRoot, 'CONTRIBUTING.md'), 'utf8');
  const start = guide.indexOf('## Adding a host slot');
  return guide.slice(start, guide.indexOf('\n## ', start + 1));
}

const pathsIn = (text: string) => [...new Set([...text.matchAll(/`((?:packages|apps|docs)\/[^`\s]+\.(?:ts|h|c|rs))`/g)].map((match) => match[1] as string))];

describe('adding a host slot', () => {
  const enumerating = ['packages', 'apps', 'docs']
    .flatMap((root) => sourceFiles(join(repositoryRoot, root)))
    .filter((path) => {
      const text = readFileSync(path, 'utf8');
      return namesEverySlot(text) && !isGenerated(text);
    })
    .map((path) => relative(repositoryRoot, path))
    .sort();

  it('spells out every slot by hand only in files the guide names', () => {
    expect(enumerating).toEqual(expect.arrayContaining(['packages/abi/src/slots.ts', 'apps/host/src/host-api.ts']));
    const named = pathsIn(contributingSection());
    for (const path of enumerating) expect(named, `${path} names every slot but CONTRIBUTING does not say why`).toContain(path);
  });
});
