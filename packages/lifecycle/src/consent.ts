import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, parseManifest } from '@osr-host/manifest';
import { writeFileDurably } from './durable-file.js';
import { LifecycleError } from './errors.js';
import { activeVersion, findLibraries, pluginDirectory } from './layout.js';

export const CONSENT_FILE = '.user_consent';
/** Written by `tools install --dev`: this version was installed unsigned and unapproved, for development. */
export const DEV_INSTALL_FILE = '.dev_install';
/** What a development install is, and what to do to load it (the scan's message and `tools doctor`'s problem). */
export const DEV_INSTALL_REASON =
  'installed with `tools install --dev` (unsigned, not approved), so it loads only in a host started with --dev (osr-host serve --dev, mcp --dev, tools list --dev)';
export const DEV_INSTALL_FIX = 'install a signed build to load it without --dev';

/** What `DEV_INSTALL_FILE` holds: when the development build was installed. */
export function devInstallFileContent(installedAt: string | number): string {
  return `${JSON.stringify({ installed_at: installedAt })}\n`;
}

/**
 * What a user approved. Upstream writes an empty marker; here the file also
 * records the requirements approved, so an upgrade can tell whether they
 * widened. An empty file is consent with unknown requirements.
 */
export interface ConsentRecord {
  grantedAt: string | null;
  /** Sorted `tool:requirement` pairs; null when unknown (an upstream empty marker). */
  requirements: string[] | null;
}

/** Every `tool:requirement` a manifest declares, sorted. */
export function declaredRequirements(manifest: Pick<Manifest, 'capabilities'> | undefined): string[] {
  const pairs = new Set<string>();
  for (const tool of manifest?.capabilities?.tools ?? []) {
    for (const requirement of tool.requirements ?? []) pairs.add(`${tool.id}:${requirement}`);
  }
  return [...pairs].sort();
}

export function readConsent(versionDir: string): ConsentRecord | null {
  const file = join(versionDir, CONSENT_FILE);
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  if (text === '') return { grantedAt: null, requirements: null };
  try {
    const value = JSON.parse(text) as { granted_at?: unknown; requirements?: unknown };
    const requirements = Array.isArray(value.requirements) && value.requirements.every((r) => typeof r === 'string') ? (value.requirements as string[]) : null;
    return { grantedAt: typeof value.granted_at === 'string' ? value.granted_at : null, requirements };
  } catch {
    return { grantedAt: null, requirements: null };
  }
}

/** The `.user_consent` text recording the approved requirements. */
export function consentFileContent(requirements: readonly string[] | null): string {
  return `${JSON.stringify({ granted_at: new Date().toISOString(), requirements: requirements === null ? null : [...requirements].sort() })}\n`;
}

export function writeConsent(versionDir: string, requirements: readonly string[] | null): void {
  writeFileDurably(join(versionDir, CONSENT_FILE), consentFileContent(requirements));
}

/**
 * The requirements `next` declares that `previous` consent did not cover;
 * null when either side is unknown (so the user must be asked).
 */
export function widenedRequirements(previous: ConsentRecord | null, next: readonly string[] | null): string[] | null {
  if (previous?.requirements == null || next === null) return null;
  const approved = new Set(previous.requirements);
  return next.filter((requirement) => !approved.has(requirement));
}

/** The UI's "grant consent": marks the active version of an installed plugin as approved. */
export function grantConsent(home: string, pluginId: string, requirements: readonly string[] | null = null): string {
  const dir = pluginDirectory(home, pluginId);
  const version = activeVersion(dir);
  if (version === null) throw new LifecycleError('not_found', `No valid version directory found for ${pluginId}; install it first.`);
  const versionDir = join(dir, version);
  writeConsent(versionDir, requirements);
  return versionDir;
}

/**
 * `tools consent <id>`: the operator approves the active version of an
 * installed plugin, recording the requirements its manifest declares (read
 * from the library by `readManifest`; unknown when that fails, so a later
 * upgrade asks again). Returns the version directory.
 */
export async function consentToInstalled(home: string, pluginId: string, readManifest: (library: string) => Promise<string>): Promise<string> {
  const dir = pluginDirectory(home, pluginId);
  const version = activeVersion(dir);
  if (version === null) throw new LifecycleError('not_found', `${pluginId} is not installed; run osr-host tools list to see installed ids.`);
  const versionDir = join(dir, version);
  const [library] = findLibraries(versionDir);
  let requirements: string[] | null = null;
  if (library !== undefined) {
    const parsed = parseManifest(await readManifest(library).catch(() => '{}'), { expectedPluginId: pluginId });
    if (parsed.ok) requirements = declaredRequirements(parsed.manifest);
  }
  writeConsent(versionDir, requirements);
  return versionDir;
}
