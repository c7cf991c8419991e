import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseManifest } from '@osr-host/manifest';
import { LifecycleError } from './errors.js';
import { type InstallOptions, type InstallResult, installPayload } from './install.js';
import { findLibraries, isStrictSemver } from './layout.js';
import { SIGNATURE_SUFFIX } from './verify.js';
import { buildZip, type ZipEntry } from './zip-writer.js';

/** The project file every plugin project has (and `tools create` writes): its manifest, with `plugin_id` and `version`. */
export const PROJECT_FILE = 'osaurus-plugin.json';

/** Files and directories a package carries besides the library (and its signature). */
const PACKAGED_EXTRAS = [PROJECT_FILE, 'README.md', 'CHANGELOG.md', 'LICENSE', 'web', 'skills'];

/** A plugin project: where it is, what it says it is, and what a package of it holds. */
export interface PluginProject {
  directory: string;
  pluginId: string;
  version: string;
  /** The one built library in the project. */
  library: string;
  /** Package entries: the name inside the package and the file it comes from. */
  files: Array<{ name: string; path: string }>;
}

/** True when `directory` is a plugin project: it holds an `osaurus-plugin.json` naming a version. */
export function isPluginProject(directory: string): boolean {
  const file = join(directory, PROJECT_FILE);
  if (!existsSync(file)) return false;
  try {
    return typeof (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version === 'string';
  } catch {
    return false;
  }
}

/**
 * Reads a project: `plugin_id` and `version` from `osaurus-plugin.json`, its
 * one built library (hidden directories skipped) with the library's
 * `.minisig` if there is one, and the extras a package carries.
 */
export function readProject(directory: string): PluginProject {
  const file = join(directory, PROJECT_FILE);
  if (!existsSync(file)) throw new LifecycleError('not_found', `${directory} has no ${PROJECT_FILE}; run this in a plugin project (osr-host tools create makes one).`);
  let declared: { plugin_id?: unknown; version?: unknown };
  try {
    declared = JSON.parse(readFileSync(file, 'utf8')) as typeof declared;
  } catch (error) {
    throw new LifecycleError('invalid_manifest', `${file} is not valid JSON; fix it.`, { cause: error });
  }
  const { plugin_id: pluginId, version } = declared;
  if (typeof pluginId !== 'string' || typeof version !== 'string' || !isStrictSemver(version)) {
    throw new LifecycleError('invalid_manifest', `${file} must name "plugin_id" and a strict semver "version" (e.g. 1.0.0).`);
  }
  const libraries = findLibraries(directory);
  if (libraries.length !== 1) {
    const found = libraries.length === 0 ? 'no built library; build the project first' : `${libraries.length} libraries (${libraries.map((l) => relative(directory, l)).join(', ')}); remove all but the one to ship`;
    throw new LifecycleError('invalid_layout', `Invalid artifact layout: ${directory} has ${found}`);
  }
  const library = libraries[0]!;
  const files = [{ name: basename(library), path: library }];
  if (existsSync(library + SIGNATURE_SUFFIX)) files.push({ name: basename(library) + SIGNATURE_SUFFIX, path: library + SIGNATURE_SUFFIX });
  for (const extra of PACKAGED_EXTRAS) {
    const path = join(directory, extra);
    if (existsSync(path)) files.push(...filesUnder(path, extra));
  }
  return { directory, pluginId, version, library, files };
}

function filesUnder(path: string, name: string): Array<{ name: string; path: string }> {
  if (!statSync(path).isDirectory()) return [{ name, path }];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => filesUnder(join(path, entry), `${name}/${entry}`));
}

/**
 * `tools package [dir]`: writes `<plugin_id>-<version>.zip` into `outputDirectory`
 * with the library at the top (where the installer's receipt names it), its
 * signature, `osaurus-plugin.json`, README, CHANGELOG, LICENSE, `web/` and
 * `skills/`. Returns the archive's path.
 */
export function packageProject(directory: string, outputDirectory: string): { path: string; project: PluginProject } {
  const project = readProject(directory);
  const entries: ZipEntry[] = project.files.map(({ name, path }) => ({ name, data: readFileSync(path) }));
  const path = join(outputDirectory, `${project.pluginId}-${project.version}.zip`);
  writeFileSync(path, buildZip(entries));
  return { path, project };
}

/**
 * `tools install .`: packages the project and installs that package, after
 * checking that the library's own manifest names the same id and version as
 * `osaurus-plugin.json`.
 */
export async function installFromProject(directory: string, options: InstallOptions): Promise<InstallResult> {
  options.onProgress?.({ step: 'resolve', message: `Reading the project in ${directory}` });
  const project = readProject(directory);
  const manifestText = options.manifest ?? (options.readManifest ? await options.readManifest(project.library) : undefined);
  if (manifestText !== undefined) {
    const parsed = parseManifest(manifestText);
    const bundled = parsed.ok ? parsed.manifest : undefined;
    if (bundled?.plugin_id !== project.pluginId || bundled?.version !== project.version) {
      throw new LifecycleError(
        'invalid_manifest',
        `The library's manifest (${bundled ? `${bundled.plugin_id} ${bundled.version ?? 'with no version'}` : 'unreadable'}) does not agree with ${PROJECT_FILE} (${project.pluginId} ${project.version}); rebuild the library or fix ${PROJECT_FILE}.`,
      );
    }
  }
  const scratch = mkdtempSync(join(tmpdir(), 'osr-project-'));
  try {
    const { path } = packageProject(directory, scratch);
    return await installPayload(
      { path, pluginId: project.pluginId, version: project.version },
      { ...options, ...(manifestText !== undefined ? { manifest: manifestText } : {}) },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
