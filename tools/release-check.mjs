#!/usr/bin/env node
// Release flow check, offline:
//   1. `changeset status` against the base branch: every changed package has a changeset;
//   2. `changeset version` as a dry run in a scratch clone of HEAD: pending changesets are consumed,
//      versions and changelogs move, the private app stays put. The working tree is never touched.
// Usage: npm run release:check
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishedPackages, root, run } from './packages.mjs';

const changesetBin = join(root, 'node_modules', '@changesets', 'cli', 'bin.js');
const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8'));

function gitRefExists(ref) {
  try {
    run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

function changeset(args, cwd) {
  execFileSync(process.execPath, [changesetBin, ...args], { cwd, stdio: 'inherit' });
}

// 1. changeset status. It diffs against config.baseBranch, which a clone of main has locally; a clone
// of another branch may only have origin/main, and a bare checkout neither (then only HEAD's own
// pending changesets are listed, which still validates their syntax and package names).
const base = [config.baseBranch, `origin/${config.baseBranch}`].find(gitRefExists);
console.log(`== changeset status (since ${base ?? 'HEAD: no local or origin base branch'})`);
try {
  changeset(['status', `--since=${base ?? 'HEAD'}`], root);
} catch {
  console.error('changeset status failed: a package changed without a changeset. Run `npx changeset`, pick the packages and bumps, commit the file.');
  process.exit(1);
}

// 2. changeset version in a scratch clone.
const pending = readdirSync(join(root, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
const scratch = mkdtempSync(join(tmpdir(), 'osr-release-check-'));
try {
  console.log(`== changeset version, dry run in a scratch clone (${pending.length} pending changesets)`);
  const clone = join(scratch, 'repo');
  run('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  // The changelog generator is resolved from the clone's node_modules; the repository's own serves, offline.
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const before = new Map(publishedPackages().map((pkg) => [pkg.name, pkg.manifest.version]));
  const app = JSON.parse(readFileSync(join(clone, 'apps', 'host', 'package.json'), 'utf8'));
  changeset(['version'], clone);

  const problems = [];
  const left = readdirSync(join(clone, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
  if (left.length) problems.push(`changesets not consumed: ${left.join(', ')}`);
  const appAfter = JSON.parse(readFileSync(join(clone, 'apps', 'host', 'package.json'), 'utf8'));
  if (appAfter.version !== app.version) problems.push(`the private app ${app.name} was versioned (${app.version} -> ${appAfter.version}); keep it in "ignore"`);
  let bumped = 0;
  for (const [name, version] of before) {
    const directory = join(clone, 'packages', name.replace('@osr-host/', ''));
    const after = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
    if (after.version === version) continue;
    bumped++;
    const changelog = existsSync(join(directory, 'CHANGELOG.md')) ? readFileSync(join(directory, 'CHANGELOG.md'), 'utf8') : '';
    if (!changelog.includes(`## ${after.version}`)) problems.push(`${name}: CHANGELOG.md has no "## ${after.version}" section`);
    console.log(`   ${name}: ${version} -> ${after.version}`);
  }
  if (pending.length && bumped === 0) problems.push('pending changesets bumped no package');
  if (problems.length) {
    console.error(`changeset version dry run found problems:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log(`release check: ${bumped} packages would be released; working tree untouched`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
