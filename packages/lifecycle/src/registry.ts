import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { release as kernelRelease, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_ARCHIVE_BYTES } from './archive.js';
import { writeFileDurably } from './durable-file.js';
import { LifecycleError } from './errors.js';
import { type InstallOptions, type InstallResult, installFromPath, installPayload, parsePackageName } from './install.js';
import { activeVersion, compareVersions, installedVersions, isStrictSemver, pluginDirectory, toolsRoot } from './layout.js';
import { type MinisignPublicKey, parseMinisignPublicKey, verifyMinisign } from './minisign.js';
import { installFromProject, isPluginProject } from './project.js';
import { decodeReceipt, hostPlatform, sha256Hex } from './receipt.js';
import { StagingArea } from './staging.js';
import { RECEIPT_FILE, readTrustedKeys, trustPublisherKey } from './verify.js';

/** One downloadable build of a version (LIFECYCLE.md §8). */
export interface RegistryArtifact {
  os: string;
  arch: string;
  url: string;
  sha256: string;
  minisign?: { signature: string; key_id?: string };
  size?: number;
  /** The lowest macOS release the build runs on; only a macOS host checks it. */
  min_macos?: string;
  /** The lowest Linux kernel release the build runs on; only a Linux host checks it. */
  min_linux?: string;
}

export interface RegistryVersion {
  version: string;
  release_date?: string;
  notes?: string;
  /** `osaurus_min_version`: the lowest Osaurus release the version works with. */
  requires?: { osaurus_min_version?: string };
  artifacts: RegistryArtifact[];
}

/** What a registry version is checked against besides os/arch. */
export interface ResolveOptions {
  /** The version to prefer when it qualifies. */
  version?: string;
  /** The Osaurus release this host stands in for; unset, `requires.osaurus_min_version` is not checked. */
  osaurusVersion?: string;
  /** This host's OS release (macOS product version or Linux kernel release); default: the running system's. */
  platformVersion?: string;
}

/** A plugin spec: `plugins/**\/*.json` in a registry. */
export interface PluginSpec {
  plugin_id: string;
  name?: string;
  description?: string;
  public_keys?: Record<string, string>;
  versions: RegistryVersion[];
  /** Where the spec was read from; relative artifact URLs resolve against it. */
  source: string;
}

function isSpec(value: unknown): value is Omit<PluginSpec, 'source'> {
  const spec = value as PluginSpec;
  return typeof spec === 'object' && spec !== null && typeof spec.plugin_id === 'string' && Array.isArray(spec.versions);
}

function localPath(location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : resolve(location);
}

/**
 * Reads a registry: a directory (or `file://` URL of one) holding
 * `plugins/**\/*.json` specs as upstream's osaurus-tools does, or one JSON
 * index file holding an array of specs or `{"plugins": [...]}`.
 */
export function readRegistry(location: string): PluginSpec[] {
  const path = localPath(location);
  if (!existsSync(path)) throw new LifecycleError('registry_unavailable', `Registry ${location} does not exist (registry unavailable)`);
  const specs: PluginSpec[] = [];
  const addFile = (file: string) => {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new LifecycleError('registry_unavailable', `Registry file ${file} is not valid JSON; fix the registry.`, { cause: error });
    }
    const items = Array.isArray(value) ? value : isSpec(value) ? [value] : (value as { plugins?: unknown })?.plugins;
    for (const item of Array.isArray(items) ? items : []) if (isSpec(item)) specs.push({ ...item, source: file });
  };
  if (statSync(path).isDirectory()) {
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) visit(join(dir, entry.name));
        else if (entry.name.endsWith('.json')) addFile(join(dir, entry.name));
      }
    };
    if (existsSync(join(path, 'plugins'))) visit(join(path, 'plugins'));
  } else {
    addFile(path);
  }
  if (specs.length === 0) throw new LifecycleError('registry_unavailable', `Registry ${location} holds no plugin specs (registry unavailable)`);
  return specs;
}

/** `x.y.z` from the front of an OS release string (`6.8.0-45-generic` → `6.8.0`, `14.2` → `14.2.0`); undefined when none. */
function releaseTriple(text: string): string | undefined {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  return match ? `${match[1]}.${match[2] ?? 0}.${match[3] ?? 0}` : undefined;
}

/** True when `have` is at least `needed`, both read as release triples; an unreadable `needed` never qualifies. */
function atLeast(have: string, needed: string): boolean {
  const [a, b] = [releaseTriple(have), releaseTriple(needed)];
  return a !== undefined && b !== undefined && compareVersions(a, b) >= 0;
}

/**
 * The version to install: `options.version` if it qualifies, else the
 * highest that does. A version qualifies when its `requires.osaurus_min_version`
 * is not above `options.osaurusVersion` and it has an artifact for this
 * os/arch whose platform minimum (`min_macos` / `min_linux`) this system meets.
 */
export function resolveArtifact(spec: PluginSpec, options: ResolveOptions = {}): { version: string; artifact: RegistryArtifact } {
  const { os, arch } = hostPlatform();
  const platformVersion = options.platformVersion ?? kernelRelease();
  const platformMinimum = (artifact: RegistryArtifact) => (os === 'macos' ? artifact.min_macos : os === 'linux' ? artifact.min_linux : undefined);
  const runsHere = (artifact: RegistryArtifact) => {
    const minimum = platformMinimum(artifact);
    return artifact.os === os && artifact.arch === arch && (minimum === undefined || atLeast(platformVersion, minimum));
  };
  const worksWithHost = (entry: RegistryVersion) => {
    const needed = entry.requires?.osaurus_min_version;
    return needed === undefined || options.osaurusVersion === undefined || atLeast(options.osaurusVersion, needed);
  };
  const candidates = spec.versions
    .filter((entry) => isStrictSemver(entry.version) && worksWithHost(entry))
    .map((entry) => ({ version: entry.version, artifact: entry.artifacts.find(runsHere) }))
    .filter((entry): entry is { version: string; artifact: RegistryArtifact } => entry.artifact !== undefined)
    .sort((a, b) => compareVersions(b.version, a.version));
  const chosen = candidates.find((entry) => entry.version === options.version) ?? candidates[0];
  if (!chosen) {
    const osaurus = options.osaurusVersion === undefined ? '' : ` and Osaurus ${options.osaurusVersion}`;
    throw new LifecycleError('not_found', `Resolution failed: ${spec.plugin_id} has no build for ${os}/${arch} ${platformVersion}${osaurus}`);
  }
  return chosen;
}

async function fetchArtifact(url: string, base: string): Promise<Buffer> {
  try {
    if (/^https?:\/\//.test(url)) {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_ARCHIVE_BYTES) throw new Error(`the archive is ${declared} bytes, over the ${MAX_ARCHIVE_BYTES}-byte limit`);
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length > MAX_ARCHIVE_BYTES) throw new Error(`the archive is ${bytes.length} bytes, over the ${MAX_ARCHIVE_BYTES}-byte limit`);
      return bytes;
    }
    const path = url.startsWith('file:') ? fileURLToPath(url) : isAbsolute(url) ? url : resolve(dirname(base), url);
    return readFileSync(path);
  } catch (error) {
    throw new LifecycleError('download_failed', `Download failed: ${url}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The author key a plugin was installed with from a registry: the newest
 * installed version's receipt that records one. Null when none does (never
 * installed, or only sideloaded).
 */
export function pinnedAuthorKey(home: string, pluginId: string): MinisignPublicKey | null {
  const pluginDir = pluginDirectory(home, pluginId);
  for (const version of installedVersions(pluginDir).reverse()) {
    const receiptPath = join(pluginDir, version, RECEIPT_FILE);
    const keyText = existsSync(receiptPath) ? decodeReceipt(readFileSync(receiptPath, 'utf8'))?.public_keys?.minisign : undefined;
    if (keyText === undefined) continue;
    try {
      return parseMinisignPublicKey(keyText);
    } catch {
      continue;
    }
  }
  return null;
}

/** Fails closed when the registry now names another author key than the one `pluginId` was installed with. */
function checkAuthorKeyPin(home: string, pluginId: string, offered: MinisignPublicKey): void {
  const pinned = pinnedAuthorKey(home, pluginId);
  if (pinned === null || (pinned.id === offered.id && pinned.key.equals(offered.key))) return;
  throw new LifecycleError(
    'author_key_changed',
    `Author key changed for ${pluginId}: it was installed with key ${pinned.id}, the registry now names key ${offered.id}. Nothing was installed and the key was not trusted. If the author really rotated the key, run osr-host tools remove ${pluginId} and install it again.`,
  );
}

export interface RegistryInstallOptions extends InstallOptions {
  /** The registry location: a directory, a `file://` URL or a JSON index file. */
  registry: string;
  /** Checked against `requires.osaurus_min_version`; unset, that check is skipped. */
  osaurusVersion?: string;
}

/**
 * `tools install <plugin_id>` from a registry: resolve, fetch, SHA-256 of the
 * archive, required minisign signature by the spec's key, then the same
 * staged install as a sideload. The spec's key becomes a trusted publisher
 * key (trust on first use, as upstream records it in the receipt).
 */
export async function installFromRegistry(pluginId: string, options: RegistryInstallOptions): Promise<InstallResult> {
  const progress = (step: 'resolve' | 'fetch' | 'checksum' | 'signature', message: string) => options.onProgress?.({ step, message });
  progress('resolve', `Resolving ${pluginId} in ${options.registry}`);
  const spec = readRegistry(options.registry).find((candidate) => candidate.plugin_id === pluginId);
  if (!spec) throw new LifecycleError('not_found', `Spec not found: ${pluginId}`);
  const { version, artifact } = resolveArtifact(spec, resolveOptions(options));

  progress('fetch', `Fetching ${artifact.url}`);
  const bytes = await fetchArtifact(artifact.url, spec.source);
  if (bytes.length > MAX_ARCHIVE_BYTES || (artifact.size !== undefined && bytes.length !== artifact.size)) {
    throw new LifecycleError('download_failed', `Download failed: ${artifact.url} is ${bytes.length} bytes, expected ${artifact.size ?? `at most ${MAX_ARCHIVE_BYTES}`}`);
  }
  progress('checksum', 'Checking SHA-256');
  if (sha256Hex(bytes) !== artifact.sha256.toLowerCase()) throw new LifecycleError('checksum_mismatch', 'Checksum mismatch');

  progress('signature', 'Checking minisign signature');
  const keyText = spec.public_keys?.minisign;
  if (!artifact.minisign?.signature || !keyText) {
    throw new LifecycleError('signature_required', 'Plugin requires a minisign signature for installation');
  }
  let publisherKey: ReturnType<typeof parseMinisignPublicKey>;
  try {
    publisherKey = parseMinisignPublicKey(keyText);
  } catch (error) {
    throw new LifecycleError('signature_invalid', 'Signature verification failed', { cause: error });
  }
  checkAuthorKeyPin(options.home, pluginId, publisherKey);
  try {
    verifyMinisign(bytes, artifact.minisign.signature, [publisherKey]);
  } catch (error) {
    throw new LifecycleError('signature_invalid', 'Signature verification failed', { cause: error });
  }

  const root = toolsRoot(options.home);
  const staging = StagingArea.open(root);
  try {
    const archive = staging.path(`${pluginId}-${version}.zip`);
    writeFileDurably(archive, bytes);
    const trustedKeys = [...(options.trustedKeys ?? readTrustedKeys(options.home)), publisherKey];
    const result = await installPayload(
      { path: archive, pluginId, version, artifact, publicKeys: { minisign: keyText } },
      { ...options, trustedKeys, onConsent: options.onConsent ?? (() => true) },
    );
    trustPublisherKey(options.home, keyText);
    return result;
  } finally {
    staging.dispose();
  }
}

function resolveOptions(options: Pick<RegistryInstallOptions, 'version' | 'osaurusVersion'>): ResolveOptions {
  return {
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.osaurusVersion !== undefined ? { osaurusVersion: options.osaurusVersion } : {}),
  };
}

/**
 * `tools install https://…/<plugin_id>-<version>.zip`: downloads the archive
 * (at most 256 MiB) and installs it as a sideload named after the URL's last
 * path segment. TLS is verified against the system's CAs (and
 * `NODE_EXTRA_CA_CERTS`).
 */
export async function installFromUrl(url: string, options: InstallOptions): Promise<InstallResult> {
  options.onProgress?.({ step: 'fetch', message: `Fetching ${url}` });
  const name = basename(decodeURIComponent(new URL(url).pathname));
  const named = options.pluginId && options.version ? null : parsePackageName(name);
  const bytes = await fetchArtifact(url, url);
  const scratch = mkdtempSync(join(tmpdir(), 'osr-download-'));
  try {
    const archive = join(scratch, named ? `${named.pluginId}-${named.version}.zip` : 'download.zip');
    writeFileSync(archive, bytes);
    return await installFromPath(archive, options);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `tools install <src>`: an `https://` URL is a downloaded archive; a
 * directory holding `osaurus-plugin.json` with a version is a project (`.`);
 * another path (`/`, `./`, `../`, or an existing file) is a sideload;
 * anything else a registry id.
 */
export function install(source: string, options: InstallOptions & { registry?: string; osaurusVersion?: string }): Promise<InstallResult> {
  if (/^https:\/\//i.test(source)) return installFromUrl(source, options);
  if (/^http:\/\//i.test(source)) {
    throw new LifecycleError('download_failed', `Download failed: ${source} is not https; plugins are downloaded over https only.`);
  }
  if (existsSync(source) && statSync(source).isDirectory() && isPluginProject(source)) return installFromProject(source, options);
  if (source.startsWith('/') || source.startsWith('./') || source.startsWith('../') || existsSync(source)) return installFromPath(source, options);
  if (!options.registry) throw new LifecycleError('registry_unavailable', `Spec not found: ${source} (registry unavailable)`);
  return installFromRegistry(source, { ...options, registry: options.registry });
}

/** `tools upgrade <id>`: installs the registry's newest version when it is newer than the active one; null when up to date. */
export async function upgradePlugin(pluginId: string, options: RegistryInstallOptions): Promise<InstallResult | null> {
  const installed = activeVersion(pluginDirectory(options.home, pluginId));
  if (installed === null) throw new LifecycleError('not_found', `${pluginId} is not installed; install it first.`);
  const spec = readRegistry(options.registry).find((candidate) => candidate.plugin_id === pluginId);
  if (!spec) throw new LifecycleError('not_found', `Spec not found: ${pluginId}`);
  const { version } = resolveArtifact(spec, options.osaurusVersion === undefined ? {} : { osaurusVersion: options.osaurusVersion });
  if (compareVersions(version, installed) <= 0) return null;
  return installFromRegistry(pluginId, { ...options, version });
}
