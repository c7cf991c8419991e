#!/usr/bin/env node
// Packaging checks for every published package, on the real tarballs:
//   - publint --strict (exports map, files, module formats);
//   - attw (are the types right for Node's ESM and CJS resolution);
//   - the fields every package must carry, and every exports/bin target present in the tarball
//     (publint does not look at the custom `@osr-host/source` condition, which points into src/);
//   - the repository's LICENSE, unchanged, in every tarball.
// Usage: npm run check:packages [-- <package name>...]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildPackages, packPackages, root } from './packages.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
const only = new Set(process.argv.slice(2));

/** Every file an exports map can hand out, across all conditions. */
function exportTargets(value) {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}

const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');
const sameAsRootLicense = (directory) => existsSync(join(directory, 'LICENSE')) && readFileSync(join(directory, 'LICENSE'), 'utf8') === rootLicense;

const scriptExtension = /\.(c|m)?js$|\.json$/;

function fieldProblems(pkg) {
  const { manifest, files } = pkg;
  const problems = [];
  const expectedDirectory = relative(root, pkg.directory);
  for (const field of ['license', 'engines', 'repository', 'files', 'exports']) {
    if (manifest[field] === undefined) problems.push(`missing "${field}"`);
  }
  if (typeof manifest.sideEffects !== 'boolean' && !Array.isArray(manifest.sideEffects)) problems.push('missing "sideEffects"');
  if (!manifest.engines?.node) problems.push('missing "engines.node"');
  if (manifest.repository?.directory !== expectedDirectory) problems.push(`"repository.directory" must be "${expectedDirectory}"`);
  const packed = new Set(files);
  if (!packed.has('LICENSE')) problems.push('LICENSE is not in the tarball: copy the repository\'s LICENSE into the package directory');
  else if (!sameAsRootLicense(pkg.directory)) problems.push('LICENSE differs from the repository\'s LICENSE: copy it again from the root');
  const targets = [
    ...exportTargets(manifest.exports),
    ...exportTargets(manifest.bin ?? {}),
    ...[manifest.main, manifest.module, manifest.types].filter(Boolean),
  ];
  for (const target of new Set(targets)) {
    const path = target.replace(/^\.\//, '');
    if (!packed.has(path)) problems.push(`${target} is referenced by package.json but not in the tarball (check "files" and the build)`);
  }
  for (const [subpath, value] of Object.entries(manifest.exports ?? {})) {
    for (const condition of ['import', 'require']) {
      if (value?.[condition] && typeof value[condition] === 'object' && !value[condition].types) {
        problems.push(`exports["${subpath}"].${condition} has no "types"`);
      }
    }
  }
  return problems;
}

/**
 * attw checks JavaScript and type resolution; an export that is neither (the C header) is left out.
 * Profile node16: `node10` resolution ignores exports maps, so it cannot see subpaths such as
 * `./testing`; the packages need Node >= 20.19, where every subpath resolves through exports.
 */
function attwArgs(pkg) {
  const nonScript = Object.entries(pkg.manifest.exports ?? {})
    .filter(([, value]) => typeof value === 'string' && !scriptExtension.test(value))
    .map(([subpath]) => subpath);
  return [pkg.tarball, '--profile', 'node16', '--format', 'ascii', ...(nonScript.length ? ['--exclude-entrypoints', ...nonScript] : [])];
}

function capture(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

async function checkPackage(pkg) {
  const problems = fieldProblems(pkg).map((problem) => `package.json: ${problem}`);
  const publint = await capture(bin('publint'), ['run', pkg.tarball, '--strict']);
  if (!publint.ok) problems.push(`publint --strict failed:\n${publint.output.trim()}`);
  const attw = await capture(bin('attw'), attwArgs(pkg));
  if (!attw.ok) problems.push(`attw failed:\n${attw.output.trim()}`);
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${pkg.name} (${pkg.files.length} files)`);
  return { pkg, problems };
}

buildPackages();
const scratch = mkdtempSync(join(tmpdir(), 'osr-check-packages-'));
try {
  console.log('== npm pack');
  const packages = packPackages(scratch).filter((pkg) => only.size === 0 || only.has(pkg.name));
  console.log(`== publint --strict, attw --profile node16, package fields: ${packages.length} packages`);
  const results = [];
  // Two at a time: the checks are CPU-bound and the machine has two cores.
  for (let i = 0; i < packages.length; i += 2) results.push(...(await Promise.all(packages.slice(i, i + 2).map(checkPackage))));
  const failed = results.filter((result) => result.problems.length > 0);
  for (const { pkg, problems } of failed) {
    console.error(`\n${pkg.name} (${relative(root, pkg.directory)}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
  if (failed.length) {
    console.error(`\n${failed.length} of ${results.length} packages failed the packaging checks. Fix package.json (exports, files, fields) and rerun npm run check:packages.`);
    process.exitCode = 1;
  } else {
    console.log(`check-packages: ${results.length} passed, 0 failed`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
