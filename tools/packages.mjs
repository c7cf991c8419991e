// Shared by the packaging checks and the pack smoke test: which packages are published, how they
// are built, and how they are packed into real tarballs (exactly what `npm publish` would upload).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(import.meta.url), '../..');

/** Every non-private package under packages/, as { name, directory, manifest }. */
export function publishedPackages() {
  return readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const directory = join(root, 'packages', entry.name);
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
      return { name: manifest.name, directory, manifest };
    })
    .filter((pkg) => !pkg.manifest.private);
}

export function run(command, args, options = {}) {
  return execFileSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

/** Builds every package through Nx, so a build that is already cached costs nothing. */
export function buildPackages() {
  console.log('== build every package (nx run-many -t build; cached builds are reused)');
  try {
    run('npx', ['nx', 'run-many', '-t', 'build', '--projects=@osr-host/*', '--output-style=static']);
  } catch (error) {
    console.error(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw new Error('Building the packages failed (output above); fix the build (npx nx run-many -t build) and rerun.');
  }
}

/**
 * Packs every published package into `destination` with one `npm pack`; returns
 * { name, directory, manifest, tarball, files } where `files` are the packed paths.
 */
export function packPackages(destination) {
  const packages = publishedPackages();
  const workspaces = packages.flatMap((pkg) => ['-w', pkg.directory]);
  // --ignore-scripts: abi-struct's install script builds native code; packing must not run it.
  const output = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination, ...workspaces]);
  const packed = new Map(JSON.parse(output).map((entry) => [entry.name, entry]));
  return packages.map((pkg) => {
    const entry = packed.get(pkg.name);
    if (!entry) throw new Error(`npm pack produced no tarball for ${pkg.name}; run it by hand in ${pkg.directory} to see why.`);
    return { ...pkg, tarball: join(destination, entry.filename), files: entry.files.map((file) => file.path) };
  });
}
