import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCompatibilityTable } from './compatibility.ts';
import { generateHostApiReference } from './host-api.ts';
import { generateHostConfigSchema } from './host-config-schema.ts';
import type { GeneratedPage } from './page.ts';
import { generatePackagePages } from './packages.ts';

/**
 * Writes every generated page of the site: the host API reference, the package pages, the
 * compatibility table and host.json's JSON Schema. Each generator is a function from the repository's sources to pages.
 */
const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const generators: Array<[string, () => Promise<GeneratedPage[]>]> = [
  ['host API reference', generateHostApiReference],
  ['package pages', generatePackagePages],
  ['compatibility table', generateCompatibilityTable],
  ['host.json schema', generateHostConfigSchema],
];

let written = 0;
for (const [name, generate] of generators) {
  const pages = await generate();
  for (const page of pages) {
    const target = join(docsRoot, page.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, page.content);
  }
  written += pages.length;
  console.log(`docs: ${name}: ${pages.length} page(s)`);
}
console.log(`docs: ${written} generated page(s) written`);
