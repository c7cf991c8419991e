#!/usr/bin/env node
// Pack smoke test: proves every package stands alone as published.
//   1. `npm pack` every package (the tarballs `npm publish` would upload);
//   2. install them into a scratch consumer project in the temp directory: outside the workspace,
//      so nothing resolves through workspace links or the repository's node_modules;
//   3. per package, require() and import() every JavaScript export (the CJS and ESM builds agree),
//      check that its built files import only what its package.json declares (types included),
//      then run checks/<package directory>.mjs there: one short, real use of the package.
// Third-party dependencies come from the npm cache that `npm ci` filled (--prefer-offline).
// Usage: npm run smoke:pack [-- --keep]   (--keep leaves the scratch directory for inspection)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackages, packPackages } from '../packages.mjs';
import { undeclaredImports } from './declared-imports.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const keep = process.argv.includes('--keep');

/** Runs a command in the consumer; returns { ok, output } with stdout and stderr interleaved enough to debug. */
function inConsumer(consumer, command, args, timeoutMs) {
  const result = spawnSync(command, args, { cwd: consumer, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) return { ok: false, output: `${output}\n${result.error.message}`.trim() };
  return { ok: result.status === 0, output };
}

// The named exports of each JavaScript subpath, loaded one way, each in a process of its own so the two
// builds are compared as a consumer of either would see them (loading both at once is checked by abi-struct's check).
const exportNames = `
const [format, name, ...subpaths] = process.argv.slice(1);
(async () => {
  const names = {};
  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? name : name + subpath.slice(1);
    const loaded = format === 'require' ? require(specifier) : await import(specifier);
    names[subpath] = Object.keys(loaded).filter((key) => format === 'require' || (key !== 'default' && key !== 'module.exports')).sort();
  }
  console.log(JSON.stringify(names));
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });`;

/** Both builds load in the consumer and export the same names. */
function formatsAgree(consumer, pkg) {
  const subpaths = javascriptSubpaths(pkg.manifest);
  const [cjs, esm] = ['require', 'import'].map((format) =>
    inConsumer(consumer, process.execPath, ['--input-type=commonjs', '-e', exportNames, format, pkg.name, ...subpaths], 60_000),
  );
  if (!cjs.ok) return { ok: false, output: `require('${pkg.name}') failed:\n${cjs.output}` };
  if (!esm.ok) return { ok: false, output: `import('${pkg.name}') failed:\n${esm.output}` };
  const ok = cjs.output === esm.output;
  return { ok, output: ok ? '' : `the CJS and ESM builds export different names:\nrequire: ${cjs.output}\nimport:  ${esm.output}` };
}

function javascriptSubpaths(manifest) {
  return Object.entries(manifest.exports ?? {})
    .filter(([, value]) => value && typeof value === 'object' && value.import && value.require)
    .map(([subpath]) => subpath);
}

buildPackages();
const scratch = mkdtempSync(join(tmpdir(), 'osr-pack-smoke-'));
const tarballs = join(scratch, 'tarballs');
const consumer = join(scratch, 'consumer');
mkdirSync(tarballs);
mkdirSync(consumer);

console.log(`== npm pack into ${tarballs}`);
const packages = packPackages(tarballs);
for (const pkg of packages) console.log(`   ${basename(pkg.tarball)} (${pkg.files.length} files)`);

console.log(`== npm install the tarballs into a scratch consumer at ${consumer}`);
// allowScripts: the native builds a consumer approves (abi-struct's bridge, koffi, better-sqlite3).
const consumerManifest = {
  name: 'osr-pack-smoke-consumer',
  private: true,
  type: 'module',
  allowScripts: { '@osr-host/abi-struct': true, 'better-sqlite3': true, koffi: true },
};
writeFileSync(join(consumer, 'package.json'), `${JSON.stringify(consumerManifest, null, 2)}\n`);
// JOBS=max lets node-gyp use both cores for better-sqlite3, which has no prebuilt binary reachable here.
const install = spawnSync(
  'npm',
  ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packages.map((pkg) => pkg.tarball)],
  { cwd: consumer, stdio: 'inherit', env: { ...process.env, JOBS: 'max' } },
);
if (install.status !== 0) {
  console.error(`npm install of the tarballs failed (exit ${install.status}). A dependency missing from the npm cache needs the registry: run \`npm ci\` in the repository first. Scratch kept at ${scratch}`);
  process.exit(1);
}

// Every @osr-host package must come from a tarball: a registry copy would hide a missing dependency.
const lock = JSON.parse(readFileSync(join(consumer, 'package-lock.json'), 'utf8'));
const notFromTarball = Object.entries(lock.packages)
  .filter(([path]) => path.includes('node_modules/@osr-host/'))
  .filter(([, entry]) => !String(entry.resolved ?? '').startsWith('file:'))
  .map(([path, entry]) => `${path} (${entry.resolved ?? entry.version})`);
if (notFromTarball.length) {
  console.error(`These @osr-host packages were not installed from the packed tarballs: ${notFromTarball.join(', ')}.\nA package depends on a version of a sibling that differs from the sibling's own version; align them.`);
  process.exit(1);
}

cpSync(join(here, 'checks'), join(consumer, 'checks'), { recursive: true });
cpSync(join(here, 'smoke_plugin.c'), join(consumer, 'smoke_plugin.c'));

console.log('== per package: require() and import() agree, then its smoke check');
const failures = [];
for (const pkg of packages) {
  const short = basename(pkg.directory);
  const check = join(consumer, 'checks', `${short}.mjs`);
  if (!existsSync(check)) {
    failures.push({ name: pkg.name, output: `no smoke check: add tools/pack-smoke/checks/${short}.mjs (one short, real use of the package).` });
    console.log(`FAIL ${pkg.name}: no smoke check`);
    continue;
  }
  const undeclared = undeclaredImports(consumer, pkg.name);
  const formats = undeclared.length ? { ok: false, output: undeclared.join('\n') } : formatsAgree(consumer, pkg);
  const smoke = formats.ok ? inConsumer(consumer, process.execPath, [check], 120_000) : { ok: false, output: '' };
  if (formats.ok && smoke.ok) {
    console.log(`ok   ${pkg.name}: ${smoke.output.split('\n').at(-1)}`);
  } else {
    failures.push({ name: pkg.name, output: formats.ok ? smoke.output : formats.output });
    console.log(`FAIL ${pkg.name}`);
  }
}

for (const { name, output } of failures) console.error(`\n${name}:\n${output}`);
console.log(`pack-smoke: ${packages.length - failures.length} passed, ${failures.length} failed`);
if (failures.length || keep) {
  console.log(`scratch consumer kept at ${consumer}; rerun a check there with: node checks/<package>.mjs`);
} else {
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = failures.length ? 1 : 0;
