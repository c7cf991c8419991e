import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from './errors.js';

/** This package's root, from src/ (sources) or dist/ (built). */
function packageRoot(): string {
  for (let directory = dirname(fileURLToPath(import.meta.url)); directory !== dirname(directory); directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@osr-host/runtime') return directory;
  }
  throw new RuntimeError('invalid_argument', 'Cannot find the @osr-host/runtime package directory for its built entries.');
}

/**
 * A built entry of this package (`dist/<name>.js`): the plugin process and the slot-server thread run
 * plain Node, so they run from dist/ even when the runtime itself runs from sources.
 */
export function builtEntry(name: 'plugin-process' | 'slot-server', what: string): string {
  const script = join(packageRoot(), 'dist', `${name}.js`);
  if (!existsSync(script)) {
    throw new RuntimeError('invalid_argument', `The ${what} entry ${script} is missing; build @osr-host/runtime first (npx nx run @osr-host/runtime:build).`);
  }
  return script;
}
