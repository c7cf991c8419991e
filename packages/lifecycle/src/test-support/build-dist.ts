import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Tests that kill or crash a child process run plain `node`, which imports
 * the built packages, so they must be built before any test file runs.
 * `nx run @osr-host/lifecycle:test` builds them first (the target depends on
 * the builds), and this does nothing then: rebuilding here would replace
 * `dist` files that other projects' tests, running alongside, are loading.
 * Run directly (`npx vitest run`), it builds what is missing and this
 * package, so a child never runs stale code.
 */
export default function buildDist(): void {
  if (process.env.NX_TASK_TARGET_PROJECT) return;
  const packageRoot = resolve(import.meta.dirname, '..', '..');
  const dependencies = ['runtime', 'abi-struct', 'manifest'];
  if (!dependencies.every((name) => existsSync(join(packageRoot, '..', name, 'dist', 'index.js')))) {
    const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', ...dependencies.map((name) => `@osr-host/${name}`)], { cwd: packageRoot, encoding: 'utf8' });
    if (nx.status !== 0) throw new Error(`building the dependencies failed:\n${nx.stdout}${nx.stderr}`);
  }
  const tsup = spawnSync('npx', ['tsup', '--silent'], { cwd: packageRoot, encoding: 'utf8' });
  if (tsup.status !== 0) throw new Error(`building @osr-host/lifecycle failed:\n${tsup.stdout}${tsup.stderr}`);
}
