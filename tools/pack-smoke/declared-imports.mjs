// Finds what a package's built files import that its package.json does not declare: such an import works
// inside the workspace (hoisted node_modules) and fails for a consumer. Type declarations count too: a
// public type that names a package needs that package's types installed with it (its own, or @types/…).
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const builtins = new Set(builtinModules);
const specifierPatterns = [
  /\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  /^\s*import\s*["']([^"']+)["']/gm,
];

function builtFiles(directory) {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(c|m)?js$|\.d\.(c|m)?ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** `lodash/fp` → `lodash`, `@scope/pkg/sub` → `@scope/pkg`; null for relative paths and Node built-ins. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return builtins.has(name) ? null : name;
}

const typesPackage = (name) => `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;

function shipsOwnTypes(consumer, name) {
  try {
    const manifest = JSON.parse(readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8'));
    return Boolean(manifest.types || manifest.typings || JSON.stringify(manifest.exports ?? {}).includes('"types"'));
  } catch {
    return false;
  }
}

/** Problems, one line each, for the installed package `name` inside `consumer`. */
export function undeclaredImports(consumer, name) {
  const installed = join(consumer, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const declared = new Set(
    ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) => Object.keys(manifest[field] ?? {})),
  );
  const problems = new Set();
  for (const file of builtFiles(join(installed, 'dist'))) {
    const text = readFileSync(file, 'utf8');
    const isTypes = /\.d\.(c|m)?ts$/.test(file);
    const where = file.slice(installed.length + 1);
    for (const pattern of specifierPatterns) {
      for (const [, specifier] of text.matchAll(pattern)) {
        const imported = packageOf(specifier);
        if (!imported || imported === name) continue;
        if (!declared.has(imported)) {
          problems.add(`${where} imports "${specifier}", which package.json does not declare: add "${imported}" to dependencies (or stop importing it)`);
        } else if (isTypes && !shipsOwnTypes(consumer, imported) && !declared.has(typesPackage(imported))) {
          problems.add(`${where} names types from "${imported}", which ships none: add "${typesPackage(imported)}" to dependencies`);
        }
      }
    }
  }
  return [...problems];
}
