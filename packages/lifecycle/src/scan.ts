import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEV_INSTALL_FILE, DEV_INSTALL_FIX, DEV_INSTALL_REASON } from './consent.js';
import { CrashGuard, type QuarantineRow, quarantineMessage } from './crash-guard.js';
import { activeVersion, findLibraries, holdsOnlyData, installedPluginIds, toolsRoot } from './layout.js';
import type { MinisignPublicKey } from './minisign.js';
import { recoverAbandonedInstalls } from './staging.js';
import { verifyLibrary, type VerificationFailure } from './verify.js';

/** Why a host without `--dev` skips a development install, and how to load it. */
export const DEV_INSTALL_MESSAGE = `dev_install: ${DEV_INSTALL_REASON}; ${DEV_INSTALL_FIX}`;

/** A plugin whose libraries passed the scan and may be loaded (each under the crash guard). */
export interface ScannedPlugin {
  pluginId: string;
  version: string;
  directory: string;
  /** The one library to load. */
  library: string;
}

export type ScanFailureReason =
  | 'quarantined'
  | 'no_version'
  | 'no_library'
  | 'duplicate_library'
  | 'dev_install'
  | VerificationFailure['reason'];

/** A plugin that will not load this time, with the message `tools list` shows. */
export interface ScanFailure {
  pluginId: string;
  library: string | null;
  reason: ScanFailureReason;
  message: string;
}

export interface ScanResult {
  plugins: ScannedPlugin[];
  failures: ScanFailure[];
  /** Plugins released from quarantine for this one attempt. */
  released: QuarantineRow[];
  /** The id a crash during the previous load put in quarantine. */
  promoted: string | null;
}

export interface ScanOptions {
  /** The running host build; quarantine rows from another build are released once. */
  hostBuild: string;
  trustedKeys: readonly MinisignPublicKey[];
  /** Skip verification (receipt, signature, consent). */
  dev?: boolean;
}

/**
 * Steps 1–3 of LIFECYCLE.md §2 for `<home>/Tools`: roll back installs that
 * were killed midway, promote a crash marker,
 * apply the quarantine, choose each plugin's version directory, find its
 * library and verify it. Never throws for one bad plugin.
 */
export function scanPlugins(home: string, options: ScanOptions): ScanResult {
  const root = toolsRoot(home);
  recoverAbandonedInstalls(root);
  const guard = new CrashGuard(root, options.hostBuild);
  const review = guard.review();
  const quarantined = new Set(review.quarantined.map((row) => row.id));
  const plugins: ScannedPlugin[] = [];
  const failures: ScanFailure[] = [];
  for (const pluginId of installedPluginIds(home)) {
    const fail = (reason: ScanFailureReason, message: string, library: string | null = null) => failures.push({ pluginId, library, reason, message });
    if (quarantined.has(pluginId)) {
      fail('quarantined', quarantineMessage(pluginId));
      continue;
    }
    const version = activeVersion(join(root, pluginId));
    if (version === null) {
      if (holdsOnlyData(join(root, pluginId))) continue;
      fail('no_version', 'No valid version directory found');
      continue;
    }
    const directory = join(root, pluginId, version);
    const libraries = findLibraries(directory);
    if (libraries.length === 0) {
      fail('no_library', 'No dylib file found in plugin directory');
      continue;
    }
    if (libraries.length > 1) {
      // D6: every library would claim the directory's id; loading one of them at random would hide the conflict.
      fail('duplicate_library', `Two plugin libraries claim the id ${pluginId}: ${libraries.map((l) => basename(l)).join(', ')}; remove all but one`);
      continue;
    }
    const library = libraries[0]!;
    if (!options.dev && existsSync(join(directory, DEV_INSTALL_FILE))) {
      fail('dev_install', DEV_INSTALL_MESSAGE, library);
      continue;
    }
    const failure = verifyLibrary(directory, library, options);
    if (failure) fail(failure.reason, failure.message, library);
    else plugins.push({ pluginId, version, directory, library });
  }
  return { plugins, failures, released: review.released, promoted: review.promoted };
}
