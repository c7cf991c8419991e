/** A parsed semantic version; build metadata is kept but never compared. */
export interface SemanticVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  build: string[];
}

const numericIdentifier = '0|[1-9]\\d*';
const prereleaseIdentifier = `(?:${numericIdentifier}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const strictSemver = new RegExp(
  `^(${numericIdentifier})\\.(${numericIdentifier})\\.(${numericIdentifier})` +
    `(?:-(${prereleaseIdentifier}(?:\\.${prereleaseIdentifier})*))?` +
    '(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$',
);

function toSafeInteger(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Strict `MAJOR.MINOR.PATCH[-pre][+build]`, as `min_osaurus` must be written; undefined otherwise. */
export function parseSemanticVersion(text: string): SemanticVersion | undefined {
  const match = strictSemver.exec(text.trim());
  if (!match) return undefined;
  const [major, minor, patch] = [match[1]!, match[2]!, match[3]!].map(toSafeInteger);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return {
    major,
    minor,
    patch,
    prerelease: match[4] ? match[4].split('.') : [],
    build: match[5] ? match[5].split('.') : [],
  };
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

function compareIdentifiers(left: string, right: string): number {
  const leftNumeric = /^\d+$/.test(left);
  const rightNumeric = /^\d+$/.test(right);
  if (leftNumeric && rightNumeric) return Math.sign(Number(left) - Number(right));
  if (leftNumeric !== rightNumeric) return leftNumeric ? -1 : 1;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Semver precedence (pre-releases included, build metadata ignored): -1, 0 or 1. */
export function compareSemanticVersions(left: SemanticVersion, right: SemanticVersion): -1 | 0 | 1 {
  const core = [left.major - right.major, left.minor - right.minor, left.patch - right.patch].find((d) => d !== 0);
  if (core !== undefined) return core < 0 ? -1 : 1;
  // A release outranks any of its pre-releases.
  if (left.prerelease.length === 0 || right.prerelease.length === 0) {
    return left.prerelease.length === right.prerelease.length ? 0 : left.prerelease.length === 0 ? 1 : -1;
  }
  const shared = Math.min(left.prerelease.length, right.prerelease.length);
  for (let index = 0; index < shared; index += 1) {
    const order = compareIdentifiers(left.prerelease[index]!, right.prerelease[index]!);
    if (order !== 0) return order < 0 ? -1 : 1;
  }
  return Math.sign(left.prerelease.length - right.prerelease.length) as -1 | 0 | 1;
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
