import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CONSENT_FILE, DEV_INSTALL_FILE, DEV_INSTALL_FIX, DEV_INSTALL_REASON } from './consent.js';
import { CrashGuard } from './crash-guard.js';
import { activeVersion, findLibraries, holdsOnlyData, installedPluginIds, lstatSafe, pluginDirectory, toolsRoot } from './layout.js';
import type { MinisignPublicKey } from './minisign.js';
import { decodeReceipt } from './receipt.js';
import { RECEIPT_FILE, verifyIntegrity, verifyLibrary } from './verify.js';

export type PluginProblemCode =
  | 'dangling_current'
  | 'no_version'
  | 'no_library'
  | 'duplicate_library'
  | 'receipt_missing'
  | 'receipt_unreadable'
  | 'receipt_invalid'
  | 'library_unreadable'
  | 'checksum_mismatch'
  | 'signature_invalid'
  | 'consent_required'
  | 'dev_install'
  | 'quarantined';

/** One thing wrong with an installed plugin, and what the operator can do about it. */
export interface PluginProblem {
  code: PluginProblemCode;
  message: string;
  fix: string;
}

/** The state of one installed plugin. */
export interface PluginHealth {
  pluginId: string;
  /** The version that loads, or null. */
  version: string | null;
  problems: PluginProblem[];
}

export interface DiagnoseOptions {
  /** Publisher keys library signatures must come from. */
  trustedKeys: readonly MinisignPublicKey[];
  /** The running host build (quarantine rows are stamped with it). */
  hostBuild: string;
}

/**
 * `tools verify`: the integrity of each installed plugin (or of `only`) — a
 * `current` link that points nowhere, the version directory and its one
 * library, a missing or malformed receipt, a library whose SHA-256 differs
 * from it. Reads only; never changes the installation.
 */
export function verifyInstalled(home: string, only?: string): PluginHealth[] {
  return pluginsToCheck(home, only).map((pluginId) => integrityOf(home, pluginId).health);
}

/**
 * `tools doctor`: everything `verifyInstalled` finds plus what keeps a sound
 * install from loading — an untrusted or missing signature, missing consent,
 * quarantine, a development install (which loads only with `--dev`) — each
 * with the command that fixes it.
 */
export function diagnoseInstalled(home: string, options: DiagnoseOptions, only?: string): PluginHealth[] {
  const guard = new CrashGuard(toolsRoot(home), options.hostBuild);
  return pluginsToCheck(home, only).map((pluginId) => {
    const { health, library } = integrityOf(home, pluginId);
    const problem = (code: PluginProblemCode, message: string, fix: string) => health.problems.push({ code, message, fix });
    if (guard.isQuarantined(pluginId)) {
      problem('quarantined', 'Quarantined after a crash while loading.', `Fix or upgrade the plugin, then run osr-host tools retry ${pluginId} (or tools remove ${pluginId}).`);
    }
    if (health.problems.some((p) => p.code !== 'dangling_current' && p.code !== 'quarantined') || library === null || health.version === null) return health;
    const versionDir = join(pluginDirectory(home, pluginId), health.version);
    // A development install is unsigned and unapproved on purpose: one problem saying so, not the two it implies.
    if (existsSync(join(versionDir, DEV_INSTALL_FILE))) {
      problem('dev_install', `${DEV_INSTALL_REASON}.`, `Start the host with --dev, or ${DEV_INSTALL_FIX}.`);
      return health;
    }
    const failure = verifyLibrary(versionDir, library, { trustedKeys: options.trustedKeys, skipConsent: true });
    if (failure?.reason === 'signature_invalid') {
      problem('signature_invalid', failure.message, "Trust the publisher's key with osr-host tools trust <key.pub>, or reinstall the plugin from a trusted source.");
    }
    if (!existsSync(join(versionDir, CONSENT_FILE))) {
      problem('consent_required', 'Not approved for loading (no consent recorded).', `Review its manifest (osr-host inspect ${library}), then run osr-host tools consent ${pluginId}.`);
    }
    return health;
  });
}

function pluginsToCheck(home: string, only: string | undefined): string[] {
  const ids = installedPluginIds(home).filter((pluginId) => !holdsOnlyData(pluginDirectory(home, pluginId)));
  return only === undefined ? ids : ids.filter((pluginId) => pluginId === only);
}

/** The integrity problems of one plugin, and its library when exactly one was found. */
function integrityOf(home: string, pluginId: string): { health: PluginHealth; library: string | null } {
  const dir = pluginDirectory(home, pluginId);
  const version = activeVersion(dir);
  const health: PluginHealth = { pluginId, version, problems: [] };
  const problem = (code: PluginProblemCode, message: string, fix: string) => health.problems.push({ code, message, fix });
  const reinstall = `Reinstall it (osr-host tools install …) or run osr-host tools rollback ${pluginId}.`;

  const current = join(dir, 'current');
  if (lstatSafe(current)?.isSymbolicLink() && !existsSync(current)) {
    problem(
      'dangling_current',
      `current points at ${basename(readlinkSync(current))}, which is not installed${version ? `; ${version} loads instead` : ''}.`,
      `Reinstall the missing version, or run osr-host tools rollback ${pluginId} to go back one version.`,
    );
  }
  if (version === null) {
    problem('no_version', 'No valid version directory found.', `Reinstall it, or run osr-host tools remove ${pluginId}.`);
    return { health, library: null };
  }
  const versionDir = join(dir, version);
  const libraries = findLibraries(versionDir);
  if (libraries.length !== 1) {
    if (libraries.length === 0) problem('no_library', `${version} holds no plugin library.`, reinstall);
    else problem('duplicate_library', `${version} holds ${libraries.length} plugin libraries (${libraries.map((l) => basename(l)).join(', ')}); a plugin ships one.`, reinstall);
    return { health, library: null };
  }
  const library = libraries[0]!;
  const failure = verifyIntegrity(versionDir, library).failure ?? receiptMismatch(versionDir, pluginId, version, library);
  if (failure) problem(failure.reason, failure.message, reinstall);
  return { health, library };
}

/** A receipt that parses but describes another plugin, version or library is malformed for this directory. */
function receiptMismatch(versionDir: string, pluginId: string, version: string, library: string): { reason: 'receipt_invalid'; message: string } | null {
  const receipt = decodeReceipt(readFileSync(join(versionDir, RECEIPT_FILE), 'utf8'))!;
  const expected = { plugin_id: pluginId, version, dylib_filename: basename(library) };
  const wrong = Object.entries(expected).filter(([field, value]) => receipt[field as keyof typeof expected] !== value);
  if (wrong.length === 0) return null;
  return { reason: 'receipt_invalid', message: `receipt.json does not describe this install: ${wrong.map(([field, value]) => `${field} is "${String(receipt[field as keyof typeof expected])}", expected "${value}"`).join('; ')}` };
}

/**
 * The report `tools verify` and `tools doctor` print: one `<id> <version>: ok`
 * line per sound plugin, else one line per problem (with its fix when
 * `withFixes`).
 */
export function formatHealthReport(rows: readonly PluginHealth[], withFixes: boolean): string {
  if (rows.length === 0) return 'No plugins installed.\n';
  const lines: string[] = [];
  for (const { pluginId, version, problems } of rows) {
    const name = `${pluginId} ${version ?? '(no version)'}`;
    if (problems.length === 0) lines.push(`${name}: ok`);
    for (const { code, message, fix } of problems) {
      lines.push(`${name}: ${code}: ${message}`);
      if (withFixes) lines.push(`  fix: ${fix}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
