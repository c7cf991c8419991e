import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVED_SLOTS } from './index.js';

/**
 * How many hand-written files a new slot touches: every source file that
 * names every served slot is one a new slot must be added to. CONTRIBUTING's
 * "Adding a host slot" lists them; this keeps the list and the tree the same.
 * Tests, fixtures and generated files are not counted: they follow the slot.
 */
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE = /\.(?:ts|mts|c|h|rs)$/;
const NOT_HAND_WRITTEN = /(?:\.test\.ts|\.bench\.ts|\.generated\.\w+)$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'build', 'target', 'fixtures', 'test-support', '.vitepress']);

function files(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return SKIPPED_DIRECTORIES.has(entry) || entry.startsWith('.') ? [] : files(path);
    return SOURCE.test(entry) && !NOT_HAND_WRITTEN.test(entry) ? [path] : [];
  });
}

function namesEverySlot(text: string): boolean {
  return SERVED_SLOTS.every((name) => new RegExp(`\\b${name}\\b`).test(text));
}

function listedInContributing(): string[] {
  const guide = readFileSync(join(repositoryRoot, 'CONTRIBUTING.md'), 'utf8');
  const section = guide.slice(guide.indexOf('## Adding a host slot'), guide.indexOf('\n## ', guide.indexOf('## Adding a host slot') + 1));
  const paths = [...section.matchAll(/`((?:packages|apps|docs)\/[^`\s]+\.(?:ts|h|rs))`/g)].map((match) => match[1] as string);
  return [...new Set(paths)].filter((path) => !NOT_HAND_WRITTEN.test(path));
}

describe('adding a host slot', () => {
  it('touches exactly the hand-written files CONTRIBUTING lists', () => {
    const enumerating = ['packages', 'apps', 'docs']
      .flatMap((root) => files(join(repositoryRoot, root)))
      .filter((path) => namesEverySlot(readFileSync(path, 'utf8')))
      .map((path) => relative(repositoryRoot, path))
      .sort();
    const listed = listedInContributing().filter((path) => path !== 'packages/abi/src/envelopes.ts');
    expect(enumerating).toEqual([...listed].sort());
    // The descriptor, the header, HostApi, the wiring, Insights' row rules, the reference and the Rust example.
    expect(enumerating).toHaveLength(7);
  });
});
