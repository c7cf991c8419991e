import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Manifests assembled from what the specification shows real plugins
 * declaring (the FAQ's `/` mount with `/health`, the scaffold's
 * osaurus-plugin.json, the route-matching examples, a messaging bot with the
 * full config vocabulary), valid and invalid.
 */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./manifests/${name}`, import.meta.url));
}

export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}
