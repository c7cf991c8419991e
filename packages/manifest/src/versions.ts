import semver from 'semver';

/** A parsed semantic version; build metadata is kept but never compared. */
export interface SemanticVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  build: string[];
}

/** Strict `MAJOR.MINOR.PATCH[-pre][+build]`, as `min_osaurus` must be written; undefined otherwise. */
export function parseSemanticVersion(text: string): SemanticVersion | undefined {
  const trimmed = text.trim();
  // semver reads a leading `v` even in strict mode; the manifest format does not allow one.
  if (/^v/i.test(trimmed)) return undefined;
  const parsed = semver.parse(trimmed);
  if (!parsed || ![parsed.major, parsed.minor, parsed.patch].every(Number.isSafeInteger)) return undefined;
  return { major: parsed.major, minor: parsed.minor, patch: parsed.patch, prerelease: parsed.prerelease.map(String), build: [...parsed.build] };
}

function toSafeInteger(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * A host version as the upstream host reads its own: strict semver first,
 * else leniently — the part after the first `-` is dropped and missing
 * parts are zero (`"1.0"` → 1.0.0, `"2"` → 2.0.0, `"1.4-beta"` → 1.4.0).
 */
export function parseHostVersion(text: string): SemanticVersion | undefined {
  const strict = parseSemanticVersion(text);
  if (strict) return strict;
  const release = text.trim().split('-', 1)[0]!;
  const parts = padVersionParts(release);
  return parts && { major: parts[0], minor: parts[1], patch: parts[2], prerelease: [], build: [] };
}

/** `MAJOR[.MINOR[.PATCH]]` of plain integers, missing parts zero; undefined when anything else. */
function padVersionParts(text: string): [number, number, number] | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 3 || parts.some((part) => !/^\d+$/.test(part))) return undefined;
  const numbers = parts.map(toSafeInteger);
  if (numbers.some((part) => part === undefined)) return undefined;
  return [numbers[0]!, numbers[1] ?? 0, numbers[2] ?? 0];
}

function toSemver(version: SemanticVersion): semver.SemVer {
  const prerelease = version.prerelease.length > 0 ? `-${version.prerelease.join('.')}` : '';
  return new semver.SemVer(`${version.major}.${version.minor}.${version.patch}${prerelease}`);
}

/** Semver precedence (pre-releases included, build metadata ignored): -1, 0 or 1. */
export function compareSemanticVersions(left: SemanticVersion, right: SemanticVersion): -1 | 0 | 1 {
  return semver.compare(toSemver(left), toSemver(right));
}

/**
 * Compares two Osaurus version strings, each read as `parseHostVersion`
 * reads one. Undefined when either cannot be parsed, so callers fail open.
 */
export function compareOsaurusVersions(left: string, right: string): -1 | 0 | 1 | undefined {
  const leftVersion = parseHostVersion(left);
  const rightVersion = parseHostVersion(right);
  if (!leftVersion || !rightVersion) return undefined;
  return compareSemanticVersions(leftVersion, rightVersion);
}

/** Outcome of a `min_osaurus` check; the two `unparseable` outcomes let the plugin load (fail open). */
export type MinOsaurusOutcome = 'satisfied' | 'not_met' | 'required_unparseable' | 'host_unparseable';

/** `min_osaurus` against the running host: the requirement is strict semver, the host version is read leniently. */
export function checkMinOsaurus(minOsaurus: string, hostVersion: string): MinOsaurusOutcome {
  const required = parseSemanticVersion(minOsaurus);
  if (!required) return 'required_unparseable';
  const host = parseHostVersion(hostVersion);
  if (!host) return 'host_unparseable';
  return compareSemanticVersions(host, required) < 0 ? 'not_met' : 'satisfied';
}

/** Outcome of a `min_macos` check; `unparseable` lets the plugin load. */
export type MinMacosOutcome = 'satisfied' | 'not_met' | 'required_unparseable' | 'os_unparseable';

/** `min_macos` against a macOS version: `MAJOR[.MINOR[.PATCH]]` integers on both sides, missing parts zero. */
export function checkMinMacos(minMacos: string, macosVersion: string): MinMacosOutcome {
  const required = padVersionParts(minMacos.trim());
  if (!required) return 'required_unparseable';
  const current = padVersionParts(macosVersion.trim());
  if (!current) return 'os_unparseable';
  const difference = current.map((part, index) => part - required[index]!).find((d) => d !== 0) ?? 0;
  return difference < 0 ? 'not_met' : 'satisfied';
}

/** `14.1` → `14.1.0`: the M.m.p form the host's load-time message uses. */
export function formatMacosVersion(text: string): string {
  const parts = padVersionParts(text.trim());
  return parts ? parts.join('.') : text;
}
