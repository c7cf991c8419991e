import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Manifest, manifestFailureMessage, parseManifest } from '@osr-host/manifest';
import { extractZip, type FileWriter } from './archive.js';
import { CONSENT_FILE, consentFileContent, DEV_INSTALL_FILE, declaredRequirements, devInstallFileContent, readConsent, widenedRequirements } from './consent.js';
import { syncDirectory } from './durable-file.js';
import { LifecycleError } from './errors.js';
import { activeVersion, findLibraries, isStrictSemver, lstatSafe, pluginDirectory, toolsRoot } from './layout.js';
import type { MinisignPublicKey } from './minisign.js';
import { hostPlatform, type PluginReceipt, sha256File } from './receipt.js';
import { StagingArea } from './staging.js';
import { RECEIPT_FILE, readTrustedKeys, verifyLibrary } from './verify.js';

export type InstallStep = 'resolve' | 'fetch' | 'checksum' | 'signature' | 'unpack' | 'validate' | 'verify' | 'consent' | 'commit' | 'done';

/** One progress line per step; `message` is ready to print. */
export interface InstallProgress {
  step: InstallStep;
  message: string;
}

/** What the installer asks the user when consent cannot carry forward. */
export interface ConsentRequest {
  pluginId: string;
  version: string;
  /** `tool:requirement` pairs the new version declares; null when no manifest was available. */
  requirements: string[] | null;
  previousVersion: string | null;
  /** Requirements the previous consent did not cover; null when that cannot be told. */
  widened: string[] | null;
}

export type ConsentOutcome = 'granted' | 'carried_forward' | 'not_granted' | 'not_needed';

export interface InstallOptions {
  home: string;
  /** Publisher keys library signatures must come from; default: `readTrustedKeys(home)`. */
  trustedKeys?: readonly MinisignPublicKey[];
  /** Dev install: no signature needed, no consent asked (the host must also load with `dev`). */
  dev?: boolean;
  /** Overrides the id parsed from the source name `<plugin_id>-<version>`. */
  pluginId?: string;
  /** Overrides the version parsed from the source name. */
  version?: string;
  /** The plugin's manifest (text or decoded), when the caller has it. */
  manifest?: string | object;
  /** Reads the manifest from the staged library (the host loads it); used when `manifest` is absent. */
  readManifest?: (library: string) => Promise<string>;
  /**
   * The operator approved the plugin up front (`tools install --consent`).
   * Without it (and without `onConsent`) a sideload is installed but does not
   * load until consent is given, as upstream's manual installs.
   */
  consent?: boolean;
  /** Asked when consent does not carry forward. Default: the answer is `consent`. */
  onConsent?: (request: ConsentRequest) => boolean | Promise<boolean>;
  onProgress?: (event: InstallProgress) => void;
  /** Where file contents are written (tests inject a full disk). */
  writer?: FileWriter;
}

export interface InstallResult {
  pluginId: string;
  version: string;
  directory: string;
  library: string;
  previousVersion: string | null;
  consent: ConsentOutcome;
  widened: string[] | null;
}

/** Where an install's files come from, after any download. */
export interface InstallPayload {
  /** A directory or a `.zip` file. */
  path: string;
  pluginId: string;
  version: string;
  /** The artifact described in the receipt; default: the local file. */
  artifact?: PluginReceipt['artifact'];
  publicKeys?: PluginReceipt['public_keys'];
}

const MANIFEST_FILES = ['osaurus-plugin.json', 'plugin.json', 'manifest.json'];
const INSTALLER_OWNED = new Set([RECEIPT_FILE, CONSENT_FILE, DEV_INSTALL_FILE]);

const defaultWriter: FileWriter = { writeFile: (path, data) => writeFileSync(path, data) };

/**
 * `<plugin_id>-<semver>` from a file or directory name, scanning hyphens from
 * the right for a strict semver (`my-plugin-2.3.1-beta`).
 */
export function parsePackageName(name: string): { pluginId: string; version: string } {
  const stem = name.replace(/\.zip$/i, '');
  const parts = stem.split('-');
  for (let split = parts.length - 1; split >= 1; split -= 1) {
    const version = parts.slice(split).join('-');
    const pluginId = parts.slice(0, split).join('-');
    if (pluginId !== '' && isStrictSemver(version)) return { pluginId, version };
  }
  throw new LifecycleError('invalid_name', 'Invalid naming format. Expected: <plugin_id>-<version>.zip (e.g., my-plugin-1.0.0.zip)');
}

function writeFailed(path: string, error: unknown): LifecycleError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'the disk is full; free some space' : code === 'EDQUOT' ? 'the disk quota is exhausted' : `${(error as Error).message}`;
  return new LifecycleError('write_failed', `Could not write ${path}: ${why}, then run the install again. Nothing was changed.`, { cause: error });
}

/** Copies a source directory, refusing symlinks and other special files anywhere in it. */
function copyDirectory(source: string, destination: string, writer: FileWriter): void {
  mkdirSync(destination, { recursive: true });
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    const from = join(source, entry.name);
    const to = join(destination, entry.name);
    if (entry.isSymbolicLink()) {
      throw new LifecycleError('invalid_archive', `${from} is a symbolic link; plugin directories may contain regular files only`);
    }
    if (entry.isDirectory()) copyDirectory(from, to, writer);
    else if (entry.isFile()) writer.writeFile(to, readFileSync(from));
    else throw new LifecycleError('invalid_archive', `${from} is not a regular file or directory`);
  }
}

/** A single top-level folder is unwrapped (LIFECYCLE.md §7). */
function unwrapSingleFolder(directory: string): string {
  const entries = readdirSync(directory).filter((name) => name !== '__MACOSX');
  if (entries.length === 1 && lstatSync(join(directory, entries[0]!)).isDirectory()) return join(directory, entries[0]!);
  return directory;
}

function decodeManifest(text: string | object, pluginId: string): Manifest {
  const result = parseManifest(text, { expectedPluginId: pluginId });
  if (!result.ok) throw new LifecycleError('invalid_manifest', manifestFailureMessage(result.problems));
  return result.manifest;
}

/** Points `<pluginDir>/current` at `version` atomically (a temp link renamed over the old one). */
export function pointCurrentAt(pluginDir: string, version: string): void {
  const temporary = join(pluginDir, `.current.${process.pid}.tmp`);
  rmSync(temporary, { force: true });
  symlinkSync(version, temporary);
  renameSync(temporary, join(pluginDir, 'current'));
  syncDirectory(pluginDir);
}

/**
 * Installs a prepared payload into `<home>/Tools/<id>/<version>/`. Everything
 * is assembled and checked in a staging directory first; the version appears
 * by one rename, so a failure or a kill at any point leaves the previous
 * state intact.
 */
export async function installPayload(payload: InstallPayload, options: InstallOptions): Promise<InstallResult> {
  const { pluginId, version } = payload;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(pluginId)) {
    throw new LifecycleError('invalid_name', `Plugin id "${pluginId}" may contain only letters, digits, '.', '_' and '-'.`);
  }
  const progress = (step: InstallStep, message: string) => options.onProgress?.({ step, message });
  const writer = options.writer ?? defaultWriter;
  const root = toolsRoot(options.home);
  const pluginDir = pluginDirectory(options.home, pluginId);
  mkdirSync(root, { recursive: true });
  const staging = StagingArea.open(root);
  try {
    progress('unpack', `Unpacking ${basename(payload.path)}`);
    const unpacked = staging.path('unpacked');
    try {
      if (payload.path.toLowerCase().endsWith('.zip')) {
        mkdirSync(unpacked);
        await extractZip(payload.path, unpacked, writer);
      } else {
        copyDirectory(payload.path, unpacked, writer);
      }
    } catch (error) {
      if (error instanceof LifecycleError) throw error;
      throw writeFailed(staging.directory, error);
    }
    const content = unwrapSingleFolder(unpacked);
    for (const name of INSTALLER_OWNED) rmSync(join(content, name), { force: true });

    progress('validate', `Checking ${pluginId}@${version}`);
    const libraries = findLibraries(content);
    if (libraries.length === 0) throw new LifecycleError('invalid_layout', `Invalid artifact layout: No ${process.platform === 'darwin' ? '.dylib' : '.so'} found in archive`);
    if (libraries.length > 1) {
      throw new LifecycleError(
        'invalid_layout',
        `Invalid artifact layout: ${libraries.length} libraries claim the id ${pluginId} (${libraries.map((l) => basename(l)).join(', ')}); a plugin ships exactly one`,
      );
    }
    const library = libraries[0]!;
    for (const file of MANIFEST_FILES) {
      const path = join(content, file);
      if (!existsSync(path)) continue;
      const declared = (JSON.parse(readFileSync(path, 'utf8')) as { plugin_id?: unknown }).plugin_id;
      if (typeof declared === 'string' && declared !== pluginId) {
        throw new LifecycleError('invalid_manifest', `${file} declares plugin_id "${declared}" but it is being installed as "${pluginId}"; rename the package or fix the manifest.`);
      }
    }
    const manifestText = options.manifest ?? (options.readManifest ? await options.readManifest(library) : undefined);
    const manifest = manifestText === undefined ? undefined : decodeManifest(manifestText, pluginId);

    const receipt: PluginReceipt = {
      plugin_id: pluginId,
      version,
      installed_at: new Date().toISOString(),
      dylib_filename: basename(library),
      dylib_sha256: sha256File(library),
      platform: hostPlatform().os,
      arch: hostPlatform().arch,
      ...(payload.publicKeys ? { public_keys: payload.publicKeys } : {}),
      artifact: payload.artifact ?? { url: pathToFileURL(library).href, sha256: sha256File(library) },
    };
    try {
      writer.writeFile(join(content, RECEIPT_FILE), Buffer.from(`${JSON.stringify(receipt, null, 2)}\n`));
    } catch (error) {
      throw writeFailed(join(content, RECEIPT_FILE), error);
    }

    if (options.dev) {
      // Recorded, so a host started without --dev can say why it skips this version and how to load it.
      try {
        writer.writeFile(join(content, DEV_INSTALL_FILE), Buffer.from(devInstallFileContent(receipt.installed_at)));
      } catch (error) {
        throw writeFailed(join(content, DEV_INSTALL_FILE), error);
      }
    } else {
      progress('verify', `Verifying ${basename(library)} (sha256, signature)`);
      const failure = verifyLibrary(content, library, { trustedKeys: options.trustedKeys ?? readTrustedKeys(options.home), skipConsent: true });
      if (failure) {
        throw new LifecycleError(failure.reason === 'signature_invalid' ? 'signature_invalid' : 'checksum_mismatch', failure.message);
      }
    }

    const previousVersion = activeVersion(pluginDir);
    let consent: ConsentOutcome = 'not_needed';
    let widened: string[] | null = null;
    if (!options.dev) {
      const requirements = manifest ? declaredRequirements(manifest) : null;
      const previous = previousVersion === null ? null : readConsent(join(pluginDir, previousVersion));
      widened = previous ? widenedRequirements(previous, requirements) : null;
      if (widened !== null && widened.length === 0) {
        consent = 'carried_forward';
      } else {
        const request: ConsentRequest = { pluginId, version, requirements, previousVersion, widened };
        const approved = options.onConsent ? await options.onConsent(request) : options.consent === true;
        consent = approved ? 'granted' : 'not_granted';
      }
      progress(
        'consent',
        consent === 'not_granted'
          ? `Consent NOT granted for ${pluginId}@${version}: it will not load until you run osr-host tools consent ${pluginId} (or install again with --consent).`
          : `Consent ${consent.replace('_', ' ')}`,
      );
      if (consent !== 'not_granted') {
        try {
          writer.writeFile(join(content, CONSENT_FILE), Buffer.from(consentFileContent(requirements)));
        } catch (error) {
          throw writeFailed(join(content, CONSENT_FILE), error);
        }
      }
    }

    progress('commit', `Installing into ${join(pluginDir, version)}`);
    const target = join(pluginDir, version);
    if (!existsSync(pluginDir)) {
      // A new plugin appears whole: its directory, version and `current` link move in by one rename.
      const tree = staging.path('tree');
      mkdirSync(tree);
      renameSync(content, join(tree, version));
      symlinkSync(version, join(tree, 'current'));
      renameSync(tree, pluginDir);
      syncDirectory(root);
    } else {
      if (existsSync(target)) staging.replaceDirectory(target, content);
      else {
        renameSync(content, target);
        syncDirectory(pluginDir);
      }
      pointCurrentAt(pluginDir, version);
    }
    progress('done', `Installed ${pluginId}@${version}`);
    return { pluginId, version, directory: target, library: join(target, library.slice(content.length + 1)), previousVersion, consent, widened };
  } finally {
    staging.dispose();
  }
}

/** `tools install <dir|zip>`: the id and version come from the name `<plugin_id>-<version>` unless given. */
export async function installFromPath(source: string, options: InstallOptions): Promise<InstallResult> {
  options.onProgress?.({ step: 'resolve', message: `Resolving ${source}` });
  const stat = lstatSafe(source);
  if (!stat) throw new LifecycleError('not_found', `${source} does not exist; pass a plugin directory or a .zip archive.`);
  if (stat.isSymbolicLink()) throw new LifecycleError('invalid_archive', `${source} is a symbolic link; pass the real directory or archive.`);
  const named = options.pluginId && options.version ? { pluginId: options.pluginId, version: options.version } : parsePackageName(basename(source));
  const pluginId = options.pluginId ?? named.pluginId;
  const version = options.version ?? named.version;
  if (!isStrictSemver(version)) throw new LifecycleError('invalid_name', `Version "${version}" is not a strict semver (e.g. 1.0.0).`);
  return installPayload({ path: source, pluginId, version }, options);
}

/** `tools uninstall <plugin_id|path>`: removes the plugin directory in one step. Returns the removed directory. */
export function removePlugin(home: string, target: string): string {
  const root = toolsRoot(home);
  const byId = pluginDirectory(home, basename(target));
  let directory = existsSync(byId) && !basename(target).startsWith('.') ? byId : null;
  if (directory === null && existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (name.startsWith('.')) continue;
      const version = activeVersion(join(root, name));
      const receiptPath = version === null ? null : join(root, name, version, RECEIPT_FILE);
      if (receiptPath && existsSync(receiptPath) && (JSON.parse(readFileSync(receiptPath, 'utf8')) as { plugin_id?: string }).plugin_id === target) {
        directory = join(root, name);
      }
    }
  }
  if (directory === null) throw new LifecycleError('not_found', `No installed plugin matches ${target}; run tools list to see installed ids.`);
  const staging = StagingArea.open(root);
  try {
    staging.takeAway(directory);
  } finally {
    staging.dispose();
  }
  return directory;
}

/** One row of `tools list`. */
export interface InstalledPlugin {
  pluginId: string;
  /** The version that loads (`current`, else the highest), or null: `(no active version)`. */
  version: string | null;
  versions: string[];
  consented: boolean;
}

export function listPlugins(home: string): InstalledPlugin[] {
  const root = toolsRoot(home);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .map((pluginId) => {
      const dir = join(root, pluginId);
      const version = activeVersion(dir);
      const versions = readdirSync(dir).filter((name) => isStrictSemver(name) && existsSync(join(dir, name)) && lstatSync(join(dir, name)).isDirectory());
      return { pluginId, version, versions, consented: version !== null && existsSync(join(dir, version, CONSENT_FILE)) };
    });
}

