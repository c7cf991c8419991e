#!/usr/bin/env node
// Creates packages/<name> from tools/templates/package, so every package starts with the same shape.
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [name, ...descriptionWords] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: npm run new-package -- <name> "<one-line description>"  (name: lower-case, digits, dashes)');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'packages', name);
if (existsSync(target)) {
  console.error(`packages/${name} already exists; pick another name or edit it directly.`);
  process.exit(1);
}
const pascal = name.replace(/(^|-)([a-z0-9])/g, (_, __, c) => c.toUpperCase());
const description = descriptionWords.join(' ') || `The ${name} package of the osr-host native-plugin host.`;
cpSync(join(root, 'tools/templates/package'), target, { recursive: true });

function fill(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) fill(path);
    else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('__NAME__', name).replaceAll('__PASCAL__', pascal).replaceAll('__DESCRIPTION__', description));
  }
}
fill(target);
// Every tarball carries the repository's license text; check-packages compares the copies.
cpSync(join(root, 'LICENSE'), join(target, 'LICENSE'));
console.log(`created packages/${name}; run npm install to link it, then add a changeset (npx changeset).`);
